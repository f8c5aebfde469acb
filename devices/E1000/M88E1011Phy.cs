// SPDX-License-Identifier: MIT
// Managed side. The Marvell 88E1011 copper PHY the 82540EM carries, reached through MDIC at PHY
// address 1: the MII registers e1000 reads and writes, with values for 1000 Mbit/s full duplex.
namespace LinuxShim.Devices.E1000;

internal sealed class M88E1011Phy
{
    public const int Address = 1;

    private const int BMCR = 0x00, BMSR = 0x01, ID1 = 0x02, ID2 = 0x03, ANAR = 0x04, ANLPAR = 0x05,
        GBCR = 0x09, GBSR = 0x0A, PSCR = 0x10, PSSR = 0x11, EPSCR = 0x14;

    /// <summary>Registers the PHY implements (IEEE 802.3 clause 22 set plus the Marvell ones e1000 uses).</summary>
    private static readonly HashSet<int> Implemented = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0x0A, 0x0F, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x18, 0x19, 0x1A, 0x1D, 0x1E];

    private readonly ushort[] regs = new ushort[32];

    public M88E1011Phy() => Reset();

    public bool LinkUp { get; set; } = true;

    public void Reset()
    {
        Array.Clear(regs);
        regs[BMCR] = 0x1140;
        regs[ANAR] = 0x0DE1;
        regs[GBCR] = 0x0E00;
        regs[PSCR] = 0x0360;
        regs[EPSCR] = 0x0D60;
    }

    /// <summary>False for a register the PHY does not have (MDIC then reports ERROR).</summary>
    public bool TryRead(int reg, out ushort value)
    {
        value = reg switch
        {
            BMSR => LinkUp ? (ushort)0x796D : (ushort)0x7949,
            ID1 => 0x0141,
            ID2 => 0x0C20,
            ANLPAR => LinkUp ? (ushort)0x41E0 : (ushort)0,
            GBSR => LinkUp ? (ushort)0x3C00 : (ushort)0,
            PSSR => LinkUp ? (ushort)0xAC00 : (ushort)0,
            _ => regs[reg & 31],
        };
        return Implemented.Contains(reg);
    }

    public bool TryWrite(int reg, ushort value)
    {
        if (!Implemented.Contains(reg))
            return false;
        if (reg == BMCR)
        {
            if ((value & 0x8000) != 0)
                Reset(); // software reset completes at once
            regs[BMCR] = (ushort)(value & ~0x8200); // reset and restart-autonegotiation bits self-clear
            return true;
        }
        if (reg is not (BMSR or ID1 or ID2 or ANLPAR or GBSR or PSSR))
            regs[reg] = value;
        return true;
    }
}
