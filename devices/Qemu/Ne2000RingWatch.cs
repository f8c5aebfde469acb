// SPDX-License-Identifier: MIT
// Managed side. What QEMU's NE2000 model (ne2k_pci, the RTL8029) leaves out of the 8390's receive ring
// and LinuxShim adds around it: a ring that holds frames the driver has not taken keeps the driver told.
//
// The 8390 sets ISR.PRX for each frame it stores and ISR.OVW when a frame finds the ring full, so a
// driver that acknowledged PRX while frames were still arriving hears of them again. QEMU's model sets
// PRX per stored frame but, with the ring full, drops the frame and sets nothing. Linux's 8390 driver
// (lib8390.c, ei_receive) takes at most 9 frames per pass and acknowledges PRX after its last look at
// CURR: frames that arrive after that look (the ring fills quickly while every register access is a
// message to QEMU) or beyond the 9 stay in the ring with PRX clear, the ring fills, QEMU drops every
// later frame without an interrupt, and receive stops for good (the flood in `netif bench` receive and
// the stalled wire -> driver transfers of issue 16: BNRY and CURR then show a full ring, ISR 0).
//
// So when the driver acknowledges PRX, the ring is looked at (BNRY on page 0, CURR on page 1, the
// command register and ISR.RDC put back as they were); if it still holds a frame, PRX reads as set and
// the interrupt line is held, as the 8390 would keep it through the frames that follow, until the
// driver acknowledges PRX with the ring empty. Nothing else of the model is touched.
namespace LinuxShim.Devices.Qemu;

internal sealed class Ne2000RingWatch
{
    // 8390 registers (I/O BAR 0): CR on every page; page 0 PSTART 1, PSTOP 2, BNRY 3, ISR 7, IMR 0x0F
    // (written); page 1 CURR 7.
    private const int Cr = 0x00, Pstart = 0x01, Pstop = 0x02, Bnry = 0x03, Isr = 0x07, Imr = 0x0F, Curr = 0x07;
    private const byte Stop = 0x01, Transmit = 0x04, RemoteDma = 0x18, NoDma = 0x20, Page1 = 0x40, PageBits = 0xC0;
    private const byte Prx = 0x01, Rdc = 0x40, Rst = 0x80;

    private byte command, start, stop, mask;
    private volatile bool pending;

    /// <summary>Whether QEMU's <paramref name="model"/> (its -device name with properties) is the NE2000 watched here.</summary>
    public static bool Watches(string model) => model.Split(',')[0] == "ne2k_pci";

    /// <summary>Register accesses watched (one-byte, page-dependent): a repeated access there is made one by one.</summary>
    public static bool Observes(int region, ulong offset) => region == 0 && offset < 0x10;

    /// <summary>The line is held for frames left in the ring (PRX pending and enabled, the NIC started).</summary>
    public bool LineHeld => pending && (mask & Prx) != 0 && (command & Stop) == 0;

    /// <summary>PRX as the driver must see it (read under the device's lock, after QEMU answered).</summary>
    public void Read(int region, ulong offset, Span<byte> data)
    {
        if (region == 0 && offset <= Isr && offset + (ulong)data.Length > Isr && (command & PageBits) == 0 && pending)
            data[Isr - (int)offset] |= Prx;
    }

    /// <summary>
    /// A write QEMU has taken: the registers the watch follows are noted, and a PRX acknowledgement looks at
    /// the ring through <paramref name="access"/> (a read of, or write to, one register: value ignored on write).
    /// Returns true when the line must be (re)asserted.
    /// </summary>
    public bool Wrote(int region, ulong offset, ReadOnlySpan<byte> data, Func<int, int?, byte> access)
    {
        if (region != 0 || offset >= 0x10)
            return false;
        bool raise = false;
        for (int i = 0; i < data.Length && offset + (ulong)i < 0x10; i++)
        {
            int register = (int)offset + i;
            byte value = data[i];
            if (register == Cr)
            {
                command = value;
                continue;
            }
            if ((command & PageBits) != 0)
                continue;
            switch (register)
            {
                case Pstart:
                    start = value;
                    break;
                case Pstop:
                    stop = value;
                    break;
                case Imr:
                    mask = value;
                    raise |= LineHeld;
                    break;
                case Isr when (value & Prx) != 0:
                    pending = false;
                    pending = FramesLeft(access);
                    raise |= LineHeld;
                    break;
            }
        }
        return raise;
    }

    /// <summary>QEMU's model was reset (its registers kept) or started afresh (<paramref name="fresh"/>: all zero).</summary>
    public void Reset(bool fresh)
    {
        pending = false;
        if (fresh)
            command = start = stop = mask = 0;
    }

    // BNRY + 1 (wrapped) is the next frame the driver takes, CURR the page the next frame goes to: the ring
    // holds a frame when they differ.
    private bool FramesLeft(Func<int, int?, byte> access)
    {
        var (state, boundary, current) = Look(access, pageZeroOnly: true);
        if (state != RingState.Open)
            return false;
        int next = boundary + 1 >= stop ? start : boundary + 1;
        return next != current;
    }

    /// <summary>
    /// The room left in the receive ring as QEMU's model judges it when a frame arrives (bytes from CURR up to
    /// BNRY, ne2000_buffer_full: it drops the frame when fewer than <see cref="RoomNeeded"/>), read through
    /// <paramref name="access"/> with the command register and ISR.RDC put back as they were. Stopped when the NIC
    /// takes no frames (stopped, or reset and not started since: ISR.RST), busy when the registers cannot be looked
    /// at now without the driver seeing it (remote DMA bits with another page than 0 selected): look again shortly.
    /// </summary>
    public (RingState State, int Room) Room(Func<int, int?, byte> access)
    {
        var (state, boundary, current) = Look(access, pageZeroOnly: false);
        if (state != RingState.Open)
            return (state, 0);
        int index = current << 8, bound = boundary << 8, size = (stop - start) << 8;
        return (RingState.Open, index < bound ? bound - index : size - (index - bound));
    }

    /// <summary>What QEMU's model wants free in the ring to store a frame (MAX_ETH_FRAME_SIZE + 4).</summary>
    public const int RoomNeeded = 1514 + 4;

    /// <summary>The ring pages a frame of <paramref name="length"/> bytes takes in QEMU's model (a 4-byte header, 4 for the CRC, at least 60 bytes).</summary>
    public static int Pages(int length) => (Math.Max(length, 60) + 8 + 255) >> 8;

    // BNRY (page 0) and CURR (page 1). The command register is put back as QEMU had it (it clears the
    // transmit bit itself, so nothing is sent again); putting back a finished remote DMA's read or write
    // makes QEMU set ISR.RDC again (its zero-length transfer), which is then cleared if it was clear. A
    // pending reset (ISR.RST, which any start would clear, and which the driver may be waiting to see) is left alone.
    private (RingState State, int Boundary, int Current) Look(Func<int, int?, byte> access, bool pageZeroOnly)
    {
        byte cr = access(Cr, null);
        if ((cr & (Stop | Transmit)) != 0 || stop <= start)
            return (RingState.Stopped, 0, 0);
        bool pageZero = (cr & PageBits) == 0;
        if (!pageZero && (pageZeroOnly || (cr & RemoteDma) != 0))
            return (RingState.Busy, 0, 0);
        byte run = (byte)(cr & ~(RemoteDma | NoDma | PageBits) | NoDma);
        if (!pageZero)
            access(Cr, run);
        byte isr = access(Isr, null);
        if ((isr & Rst) != 0)
        {
            // Reset and not started since: a real 8390 is stopped then (QEMU's model keeps its command register).
            if (!pageZero)
                access(Cr, cr);
            return (RingState.Stopped, 0, 0);
        }
        int boundary = access(Bnry, null);
        access(Cr, (byte)(run | Page1));
        int current = access(Curr, null);
        access(Cr, cr);
        if (pageZero && (cr & RemoteDma) != 0 && (isr & Rdc) == 0)
            access(Isr, Rdc);
        return (RingState.Open, boundary, current);
    }
}

/// <summary>Whether the NE2000's receive ring takes frames now: stopped (it drops them, as the chip does), busy (look again), open.</summary>
internal enum RingState
{
    Stopped,
    Busy,
    Open,
}
