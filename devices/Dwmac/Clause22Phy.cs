// SPDX-License-Identifier: MIT
// Managed side. A plain IEEE 802.3 clause 22 copper PHY (1000BASE-T) on an MDIO bus, with nothing but the
// standard registers (22.2.4): control, status, identifier, autonegotiation advertisement and link partner
// ability, expansion, 1000BASE-T control and status, extended status. Its identifier belongs to no vendor
// driver in Linux (drivers/net/phy), so phylib binds its generic driver (genphy), which reads nothing else.
// The link partner advertises everything from 10 Mbit/s half to 1000 Mbit/s full duplex with symmetric
// pause, and autonegotiation completes as soon as it is (re)started: with the default advertisement the
// link resolves to 1000 Mbit/s full duplex.
namespace LinuxShim.Devices.Dwmac;

public sealed class Clause22Phy
{
    /// <summary>PHY identifier registers 2 and 3 (OUI bits, model, revision): matched by no Linux PHY driver.</summary>
    public const ushort Id1 = 0x0044, Id2 = 0x5C90;

    public const int BMCR = 0x00, BMSR = 0x01, PHYSID1 = 0x02, PHYSID2 = 0x03, ANAR = 0x04, ANLPAR = 0x05, ANER = 0x06,
        GBCR = 0x09, GBSR = 0x0A, ESR = 0x0F;

    // BMCR bits (22.2.4.1).
    public const ushort BmcrReset = 0x8000, BmcrLoopback = 0x4000, BmcrSpeed100 = 0x2000, BmcrAnEnable = 0x1000,
        BmcrPowerDown = 0x0800, BmcrIsolate = 0x0400, BmcrAnRestart = 0x0200, BmcrFullDuplex = 0x0100, BmcrSpeed1000 = 0x0040;

    // BMSR (22.2.4.2): 100BASE-TX and 10BASE-T full and half duplex, extended status (register 15), preamble
    // suppression, autonegotiation ability, extended register capability; link status and autonegotiation
    // complete while there is a link.
    public const ushort BmsrLinkDown = 0x7949, BmsrLink = 0x0004, BmsrAnComplete = 0x0020;

    // The link partner's base page (28.2.1.2): ACK, symmetric pause, 100 full/half, 10 full/half, IEEE 802.3.
    private const ushort PartnerBasePage = 0x45E1;

    // The link partner's 1000BASE-T abilities in register 10 (40.5.1.1): 1000 full (bit 11) and half (bit 10);
    // local and remote receiver status OK (bits 13, 12).
    private const ushort PartnerGigabit = 0x3C00;

    private ushort bmcr, anar, gbcr;
    private bool latchedLinkDown;
    private bool linkUp = true;

    public Clause22Phy() => Reset();

    /// <summary>Cable plugged in. A drop latches in BMSR until BMSR is read (22.2.4.2.13).</summary>
    public bool LinkUp
    {
        get => linkUp;
        set
        {
            if (!value)
                latchedLinkDown = true;
            linkUp = value;
        }
    }

    /// <summary>Whether autonegotiation is enabled and the link up: the partner's pages are then valid.</summary>
    private bool Negotiated => linkUp && (bmcr & BmcrAnEnable) != 0;

    /// <summary>Power-on (or BMCR.15) reset: autonegotiation on, advertising every mode the PHY has.</summary>
    public void Reset()
    {
        bmcr = BmcrAnEnable | BmcrSpeed1000 | BmcrFullDuplex;
        anar = 0x0DE1; // asymmetric and symmetric pause, 100/10 full and half, IEEE 802.3 selector
        gbcr = 0x0300; // 1000BASE-T full and half duplex
    }

    /// <summary>A clause 22 read of register <paramref name="reg"/> (0-31); registers the PHY lacks read as 0.</summary>
    public ushort Read(int reg)
    {
        switch (reg & 31)
        {
            case BMCR:
                return bmcr;
            case BMSR:
                bool reportUp = linkUp && !latchedLinkDown;
                latchedLinkDown = false;
                ushort status = BmsrLinkDown;
                if (reportUp)
                    status |= BmsrLink;
                if (reportUp && (bmcr & BmcrAnEnable) != 0)
                    status |= BmsrAnComplete;
                return status;
            case PHYSID1:
                return Id1;
            case PHYSID2:
                return Id2;
            case ANAR:
                return anar;
            case ANLPAR:
                return Negotiated ? PartnerBasePage : (ushort)0;
            case ANER:
                return Negotiated ? (ushort)0x0001 : (ushort)0; // link partner autonegotiation able
            case GBCR:
                return gbcr;
            case GBSR:
                return Negotiated ? PartnerGigabit : (ushort)0;
            case ESR:
                return 0x3000; // 1000BASE-T full and half duplex
            default:
                return 0;
        }
    }

    /// <summary>A clause 22 write; read-only and absent registers ignore it.</summary>
    public void Write(int reg, ushort value)
    {
        switch (reg & 31)
        {
            case BMCR:
                if ((value & BmcrReset) != 0)
                {
                    Reset(); // the reset completes at once, the bit self-clears
                    return;
                }
                bmcr = (ushort)(value & ~BmcrAnRestart); // a restart completes at once, the bit self-clears
                break;
            case ANAR:
                anar = (ushort)((value & 0x2FE0) | 0x0001); // technology ability, remote fault, next page clear; 802.3 selector
                break;
            case GBCR:
                gbcr = (ushort)(value & 0x1F00);
                break;
        }
    }
}
