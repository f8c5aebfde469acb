// SPDX-License-Identifier: MIT
// Managed side. Socket buffers (net/core/skbuff.c): allocation with the kernel's head/data/tail/end
// geometry and skb_shared_info at the end, the out-of-line helpers drivers call, and freeing.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using LinuxShim.Shim.Layout;

namespace LinuxShim.Shim.Kernel;

public static unsafe class SkBuff
{
    private static int Align(int n) => (n + SkbLayout.CacheBytes - 1) & ~(SkbLayout.CacheBytes - 1);

    /// <summary>Allocates an skb with a <paramref name="size"/>-byte data area, <paramref name="headroom"/> of it reserved.</summary>
    public static nint Alloc(int size, int headroom, uint gfp)
    {
        int data = Align(size);
        int total = data + Align(SkbLayout.SharedInfoSize.Size);
        nint head = Memory.Allocate(total, gfp & ~GfpFlags.Zero, SkbLayout.CacheBytes);
        if (head == 0)
            return 0;
        nint skb = Wrap(head, data, gfp);
        if (skb == 0)
        {
            Memory.Free(head);
            return 0;
        }
        Reserve(skb, headroom);
        return skb;
    }

    /// <summary>An skb around an existing head buffer whose data area is <paramref name="dataSize"/> bytes.</summary>
    private static nint Wrap(nint head, int dataSize, uint gfp)
    {
        nint skb = Memory.Allocate(SkbLayout.Size.Size, gfp | GfpFlags.Zero);
        if (skb == 0)
            return 0;
        skb.Ptr(SkbLayout.Head, head);
        skb.Ptr(SkbLayout.Data, head);
        skb.U32(SkbLayout.Tail, 0);
        skb.U32(SkbLayout.End, (uint)dataSize);
        skb.U32(SkbLayout.Truesize, (uint)(Align(SkbLayout.Size.Size) + dataSize + Align(SkbLayout.SharedInfoSize.Size)));
        skb.I32(SkbLayout.Users, 1);
        skb.U16(SkbLayout.MacHeader, 0xffff);
        skb.U16(SkbLayout.NetworkHeader, 0xffff);
        skb.U16(SkbLayout.TransportHeader, 0xffff);
        nint shinfo = head + dataSize;
        NativeMemory.Clear((void*)shinfo, (nuint)SkbLayout.SharedInfoSize.Size);
        shinfo.I32(SkbLayout.Dataref, 1);
        return skb;
    }

    public static nint SharedInfo(nint skb) => skb.Ptr(SkbLayout.Head) + (nint)skb.U32(SkbLayout.End);
    public static nint TailPointer(nint skb) => skb.Ptr(SkbLayout.Head) + (nint)skb.U32(SkbLayout.Tail);
    public static int Tailroom(nint skb) => skb.U32(SkbLayout.DataLen) != 0 ? 0 : (int)(skb.U32(SkbLayout.End) - skb.U32(SkbLayout.Tail));
    public static int Headlen(nint skb) => (int)(skb.U32(SkbLayout.Len) - skb.U32(SkbLayout.DataLen));

    public static void Reserve(nint skb, int len)
    {
        skb.Ptr(SkbLayout.Data, skb.Ptr(SkbLayout.Data) + len);
        skb.U32(SkbLayout.Tail, skb.U32(SkbLayout.Tail) + (uint)len);
    }

    public static nint Put(nint skb, int len)
    {
        nint tail = TailPointer(skb);
        uint newTail = skb.U32(SkbLayout.Tail) + (uint)len;
        if (newTail > skb.U32(SkbLayout.End))
        {
            Machine.Fatal($"skb_over_panic: put {len} bytes, only {skb.U32(SkbLayout.End) - skb.U32(SkbLayout.Tail)} left");
            return 0;
        }
        skb.U32(SkbLayout.Tail, newTail);
        skb.U32(SkbLayout.Len, skb.U32(SkbLayout.Len) + (uint)len);
        return tail;
    }

    /// <summary>Copies the whole packet (linear part and page fragments) to <paramref name="to"/>.</summary>
    public static int CopyBits(nint skb, int offset, nint to, int len)
    {
        int headlen = Headlen(skb);
        nint data = skb.Ptr(SkbLayout.Data);
        if (offset + len > (int)skb.U32(SkbLayout.Len) || offset < 0)
            return -14; // -EFAULT
        int copied = 0;
        if (offset < headlen)
        {
            int n = Math.Min(len, headlen - offset);
            Buffer.MemoryCopy((void*)(data + offset), (void*)to, n, n);
            copied = n;
        }
        int position = headlen;
        nint shinfo = SharedInfo(skb);
        int frags = shinfo.U8(SkbLayout.NrFrags);
        for (int i = 0; i < frags && copied < len; i++)
        {
            nint frag = shinfo.At(SkbLayout.Frags) + i * SkbLayout.FragSize.Size;
            int size = (int)frag.U32(SkbLayout.FragLen);
            int start = offset + copied;
            if (start < position + size)
            {
                int within = start - position;
                int n = Math.Min(len - copied, size - within);
                nint src = Machine.Memory.PageToVirtual(frag.Ptr(SkbLayout.FragPage)) + (nint)frag.U32(SkbLayout.FragOffset) + within;
                Buffer.MemoryCopy((void*)src, (void*)(to + copied), n, n);
                copied += n;
            }
            position += size;
        }
        return copied == len ? 0 : -14;
    }

    /// <summary>The length of the packet's bytes from its MAC header (or data, when none is set) on, as the wire carries them.</summary>
    public static int FrameLength(nint skb)
    {
        var (before, len) = FrameExtent(skb);
        return before + len;
    }

    /// <summary>Copies the packet's bytes from its MAC header on into <paramref name="frame"/> (at least <see cref="FrameLength"/> bytes).</summary>
    public static void CopyFrame(nint skb, Span<byte> frame)
    {
        var (before, len) = FrameExtent(skb);
        if (frame.Length < before + len)
            throw new ArgumentException($"{frame.Length} bytes for a frame of {before + len}", nameof(frame));
        nint data = skb.Ptr(SkbLayout.Data);
        fixed (byte* f = frame)
        {
            if (before > 0)
                Buffer.MemoryCopy((void*)(data - before), f, before, before);
            CopyBits(skb, 0, (nint)(f + before), len);
        }
    }

    // The bytes before data that belong to the frame (from the MAC header, when one is set) and the packet's length.
    private static (int Before, int Length) FrameExtent(nint skb)
    {
        ushort mac = skb.U16(SkbLayout.MacHeader);
        int before = mac != 0xffff ? (int)(skb.Ptr(SkbLayout.Data) - (skb.Ptr(SkbLayout.Head) + mac)) : 0;
        return (before, (int)skb.U32(SkbLayout.Len));
    }

    /// <summary>Drops a reference; at zero frees the fragments' pages, the head and the skb.</summary>
    public static void Free(nint skb)
    {
        if (skb == 0)
            return;
        if (Interlocked.Decrement(ref *(int*)skb.At(SkbLayout.Users)) > 0)
            return;
        nint shinfo = SharedInfo(skb);
        if (Interlocked.Decrement(ref *(int*)shinfo.At(SkbLayout.Dataref)) == 0)
        {
            int frags = shinfo.U8(SkbLayout.NrFrags);
            for (int i = 0; i < frags; i++)
                Memory.PutPage((shinfo.At(SkbLayout.Frags) + i * SkbLayout.FragSize.Size).Ptr(SkbLayout.FragPage));
            // skb_free_head(): a head built in a page fragment (build_skb) goes back as a fragment.
            if (skb.Bits(SkbLayout.HeadFrag) != 0)
                Memory.FreeFragment(skb.Ptr(SkbLayout.Head));
            else
                Memory.Free(skb.Ptr(SkbLayout.Head));
        }
        Memory.Free(skb);
    }

    [KernelSymbol("__alloc_skb"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint AllocSkb(uint size, uint gfp, int flags, int node) => FaultInjection.Fail("slab") ? 0 : Alloc((int)size, 0, gfp);

    [KernelSymbol("__netdev_alloc_skb"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint NetdevAllocSkb(nint dev, uint len, uint gfp)
    {
        nint skb = FaultInjection.Fail("slab") ? 0 : Alloc((int)len + SkbLayout.Pad, SkbLayout.Pad, gfp);
        if (skb != 0)
            skb.Ptr(SkbLayout.Dev, dev);
        return skb;
    }

    [KernelSymbol("__napi_alloc_skb"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint NapiAllocSkb(nint napi, uint len, uint gfp) => NapiAlloc(napi, len, gfp);

    // 6.9 dropped the gfp argument (net/core/skbuff.c allocates with GFP_ATOMIC, which zeroes nothing).
    [KernelSymbol("napi_alloc_skb"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint NapiAllocSkbAtomic(nint napi, uint len) => NapiAlloc(napi, len, 0);

    private static nint NapiAlloc(nint napi, uint len, uint gfp)
    {
        nint skb = FaultInjection.Fail("slab") ? 0 : Alloc((int)len + SkbLayout.Pad, SkbLayout.Pad, gfp);
        if (skb != 0 && napi != 0)
            skb.Ptr(SkbLayout.Dev, napi.Ptr(NapiLayout.Dev));
        return skb;
    }

    [KernelSymbol("build_skb"), KernelSymbol("napi_build_skb"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint BuildSkb(nint data, uint fragSize)
    {
        int size = (int)fragSize - Align(SkbLayout.SharedInfoSize.Size);
        nint skb = Wrap(data, size, 0);
        if (skb != 0)
            skb.Bits(SkbLayout.HeadFrag, 1);
        return skb;
    }

    [KernelSymbol("__netdev_alloc_frag_align"), KernelSymbol("__napi_alloc_frag_align"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint NetdevAllocFragAlign(uint size, uint alignMask) => FaultInjection.Fail("page_alloc") ? 0 : Memory.Allocate(size, 0, (int)Math.Max(~alignMask + 1, 8));

    [KernelSymbol("skb_put"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint SkbPut(nint skb, uint len) => Put(skb, (int)len);

    [KernelSymbol("skb_push"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint SkbPush(nint skb, uint len)
    {
        nint data = skb.Ptr(SkbLayout.Data) - (nint)len;
        if (data < skb.Ptr(SkbLayout.Head))
        {
            Machine.Fatal("skb_under_panic: push below the head");
            return 0;
        }
        skb.Ptr(SkbLayout.Data, data);
        skb.U32(SkbLayout.Len, skb.U32(SkbLayout.Len) + len);
        return data;
    }

    [KernelSymbol("skb_pull"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint SkbPull(nint skb, uint len)
    {
        if (len > skb.U32(SkbLayout.Len) || (int)len > Headlen(skb))
            return 0;
        skb.U32(SkbLayout.Len, skb.U32(SkbLayout.Len) - len);
        skb.Ptr(SkbLayout.Data, skb.Ptr(SkbLayout.Data) + (nint)len);
        return skb.Ptr(SkbLayout.Data);
    }

    private static void SetLinearLength(nint skb, uint len)
    {
        skb.U32(SkbLayout.Len, len);
        skb.U32(SkbLayout.Tail, (uint)(skb.Ptr(SkbLayout.Data) - skb.Ptr(SkbLayout.Head)) + len);
    }

    [KernelSymbol("skb_trim"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void SkbTrim(nint skb, uint len) => Trim(skb, len);

    [KernelSymbol("___pskb_trim"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int PskbTrim(nint skb, uint len) => Trim(skb, len);

    private static int Trim(nint skb, uint len)
    {
        if (skb.U32(SkbLayout.Len) <= len)
            return 0;
        int headlen = Headlen(skb);
        if (len <= headlen)
        {
            // Drop every fragment; the packet ends in the linear part.
            nint shinfo = SharedInfo(skb);
            int frags = shinfo.U8(SkbLayout.NrFrags);
            for (int i = 0; i < frags; i++)
                Memory.PutPage((shinfo.At(SkbLayout.Frags) + i * SkbLayout.FragSize.Size).Ptr(SkbLayout.FragPage));
            shinfo.U8(SkbLayout.NrFrags, 0);
            skb.U32(SkbLayout.DataLen, 0);
            SetLinearLength(skb, len);
            return 0;
        }
        uint keep = len - (uint)headlen;
        nint info = SharedInfo(skb);
        int n = info.U8(SkbLayout.NrFrags);
        int kept = 0;
        for (int i = 0; i < n; i++)
        {
            nint frag = info.At(SkbLayout.Frags) + i * SkbLayout.FragSize.Size;
            uint size = frag.U32(SkbLayout.FragLen);
            if (keep == 0)
            {
                Memory.PutPage(frag.Ptr(SkbLayout.FragPage));
                continue;
            }
            if (size > keep)
                frag.U32(SkbLayout.FragLen, keep);
            keep -= Math.Min(size, keep);
            kept++;
        }
        info.U8(SkbLayout.NrFrags, (byte)kept);
        skb.U32(SkbLayout.DataLen, len - (uint)headlen);
        skb.U32(SkbLayout.Len, len);
        return 0;
    }

    [KernelSymbol("pskb_expand_head"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int PskbExpandHead(nint skb, int nhead, int ntail, uint gfp) => ExpandHead(skb, nhead, ntail, gfp);

    private static int ExpandHead(nint skb, int nhead, int ntail, uint gfp)
    {
        nint oldHead = skb.Ptr(SkbLayout.Head);
        int oldEnd = (int)skb.U32(SkbLayout.End);
        int size = Align(nhead + oldEnd + ntail);
        nint head = Memory.Allocate(size + Align(SkbLayout.SharedInfoSize.Size), gfp & ~GfpFlags.Zero, SkbLayout.CacheBytes);
        if (head == 0)
            return -12; // -ENOMEM
        Buffer.MemoryCopy((void*)oldHead, (void*)(head + nhead), oldEnd, oldEnd);
        Buffer.MemoryCopy((void*)(oldHead + oldEnd), (void*)(head + size), SkbLayout.SharedInfoSize.Size, SkbLayout.SharedInfoSize.Size);
        (head + size).I32(SkbLayout.Dataref, 1);
        Memory.Free(oldHead);
        nint off = head + nhead - oldHead;
        skb.Ptr(SkbLayout.Head, head);
        skb.Ptr(SkbLayout.Data, skb.Ptr(SkbLayout.Data) + off);
        skb.U32(SkbLayout.End, (uint)size);
        skb.U32(SkbLayout.Tail, skb.U32(SkbLayout.Tail) + (uint)nhead);
        MoveHeaders(skb, nhead);
        skb.Bits(SkbLayout.HeadFrag, 0);
        return 0;
    }

    /// <summary>skb_headers_offset_update(): the offsets from the head that follow the data <paramref name="by"/> bytes
    /// further into a new head (a header not set stays unset).</summary>
    private static void MoveHeaders(nint skb, int by)
    {
        if (skb.Bits(SkbLayout.IpSummed) == SkbLayout.ChecksumPartial)
            skb.U16(SkbLayout.CsumStart, (ushort)(skb.U16(SkbLayout.CsumStart) + by));
        foreach (var h in new[] { SkbLayout.MacHeader, SkbLayout.NetworkHeader, SkbLayout.TransportHeader,
                     SkbCopyLayout.InnerMacHeader, SkbCopyLayout.InnerNetworkHeader, SkbCopyLayout.InnerTransportHeader })
            if (skb.U16(h) != 0xffff)
                skb.U16(h, (ushort)(skb.U16(h) + by));
    }

    /// <summary>
    /// skb_realloc_headroom() (net/core/skbuff.c): a private copy of <paramref name="skb"/> whose head the caller may
    /// write, with at least <paramref name="headroom"/> bytes before the data (more is rounded up to cache lines, as
    /// SKB_DATA_ALIGN does), or 0 when memory runs out; the original is left as it was, for the caller to free. The
    /// linear part is copied and the page fragments shared (each page gains a reference), as pskb_copy() does; the
    /// copy takes the original's header fields and GSO state but neither its socket, its destructor nor its place in
    /// a list. A frag_list (GSO segments chained as skbs) is never built here: no stack above the shim makes one.
    /// </summary>
    public static nint ReallocHeadroom(nint skb, int headroom)
    {
        nint shinfo = SharedInfo(skb);
        if (shinfo.Ptr(SkbLayout.FragList) != 0)
        {
            Machine.Fatal("skb_realloc_headroom: an skb with a frag_list, which nothing in the shim builds");
            return 0;
        }
        int have = (int)(skb.Ptr(SkbLayout.Data) - skb.Ptr(SkbLayout.Head));
        int room = headroom <= have ? have : have + Align(headroom - have);
        int headlen = Headlen(skb);
        int tailroom = (int)skb.U32(SkbLayout.End) - have - headlen;
        nint copy = FaultInjection.Fail("slab") ? 0 : Alloc(room + headlen + Math.Max(tailroom, 0), room, 0);
        if (copy == 0)
            return 0;
        // The header as __copy_skb_header() takes it, keeping what belongs to the copy's own buffer.
        nint head = copy.Ptr(SkbLayout.Head), data = copy.Ptr(SkbLayout.Data);
        uint end = copy.U32(SkbLayout.End), truesize = copy.U32(SkbLayout.Truesize);
        Buffer.MemoryCopy((void*)skb, (void*)copy, SkbLayout.Size.Size, SkbLayout.Size.Size);
        copy.Ptr(SkbLayout.Head, head);
        copy.Ptr(SkbLayout.Data, data);
        copy.U32(SkbLayout.End, end);
        copy.U32(SkbLayout.Tail, (uint)(room + headlen));
        copy.U32(SkbLayout.Truesize, truesize + skb.U32(SkbLayout.DataLen));
        copy.I32(SkbLayout.Users, 1);
        copy.Ptr(SkbLayout.Next, 0);
        copy.Ptr(SkbCopyLayout.Prev, 0);
        copy.Ptr(SkbCopyLayout.Sk, 0);
        copy.Ptr(SkbCopyLayout.Destructor, 0);
        copy.Bits(SkbCopyLayout.Cloned, 0);
        copy.Bits(SkbCopyLayout.Nohdr, 0);
        copy.Bits(SkbCopyLayout.Fclone, 0);
        copy.Bits(SkbLayout.HeadFrag, 0);
        MoveHeaders(copy, room - have);
        Buffer.MemoryCopy((void*)skb.Ptr(SkbLayout.Data), (void*)data, headlen, headlen);

        nint to = SharedInfo(copy);
        int frags = shinfo.U8(SkbLayout.NrFrags);
        for (int i = 0; i < frags; i++)
        {
            nint frag = shinfo.At(SkbLayout.Frags) + i * SkbLayout.FragSize.Size;
            Buffer.MemoryCopy((void*)frag, (void*)(to.At(SkbLayout.Frags) + i * SkbLayout.FragSize.Size), SkbLayout.FragSize.Size, SkbLayout.FragSize.Size);
            Interlocked.Increment(ref *(int*)frag.Ptr(SkbLayout.FragPage).At(PageLayout.RefCount)); // skb_frag_ref()
        }
        to.U8(SkbLayout.NrFrags, (byte)frags);
        to.U16(SkbChecksumLayout.GsoSize, shinfo.U16(SkbChecksumLayout.GsoSize));
        to.U16(SkbCopyLayout.GsoSegs, shinfo.U16(SkbCopyLayout.GsoSegs));
        to.U32(SkbCopyLayout.GsoType, shinfo.U32(SkbCopyLayout.GsoType));
        return copy;
    }

    [KernelSymbol("skb_realloc_headroom"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint SkbReallocHeadroom(nint skb, uint headroom) => ReallocHeadroom(skb, (int)headroom);

    [KernelSymbol("__pskb_pull_tail"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint PskbPullTail(nint skb, int delta)
    {
        int eat = Tailroom(skb) is var room && room < delta ? delta - room : 0;
        if (eat > 0 && ExpandHead(skb, 0, eat + 128, 0) != 0)
            return 0;
        int headlen = Headlen(skb);
        if (CopyBits(skb, headlen, TailPointer(skb), delta) != 0)
            return 0;
        // Consume delta bytes from the front of the fragments.
        nint info = SharedInfo(skb);
        int n = info.U8(SkbLayout.NrFrags), left = delta, k = 0;
        for (int i = 0; i < n; i++)
        {
            nint frag = info.At(SkbLayout.Frags) + i * SkbLayout.FragSize.Size;
            int size = (int)frag.U32(SkbLayout.FragLen);
            if (left >= size)
            {
                left -= size;
                Memory.PutPage(frag.Ptr(SkbLayout.FragPage));
                continue;
            }
            frag.U32(SkbLayout.FragOffset, frag.U32(SkbLayout.FragOffset) + (uint)left);
            frag.U32(SkbLayout.FragLen, (uint)(size - left));
            left = 0;
            nint dst = info.At(SkbLayout.Frags) + k * SkbLayout.FragSize.Size;
            if (dst != frag)
                Buffer.MemoryCopy((void*)frag, (void*)dst, SkbLayout.FragSize.Size, SkbLayout.FragSize.Size);
            k++;
        }
        info.U8(SkbLayout.NrFrags, (byte)k);
        skb.U32(SkbLayout.Tail, skb.U32(SkbLayout.Tail) + (uint)delta);
        skb.U32(SkbLayout.DataLen, skb.U32(SkbLayout.DataLen) - (uint)delta);
        return TailPointer(skb);
    }

    [KernelSymbol("__skb_pad"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int SkbPad(nint skb, int pad, byte freeOnError)
    {
        if (Tailroom(skb) < pad)
        {
            if (skb.U32(SkbLayout.DataLen) != 0 || ExpandHead(skb, 0, pad, 0) != 0)
            {
                if (freeOnError != 0)
                    Free(skb);
                return -12;
            }
        }
        NativeMemory.Clear((void*)TailPointer(skb), (nuint)pad);
        return 0;
    }

    [KernelSymbol("skb_copy_bits"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int SkbCopyBits(nint skb, int offset, nint to, int len) => CopyBits(skb, offset, to, len);

    // The shim's devices offer no checksum offload, so no packet arrives CHECKSUM_PARTIAL: a plain copy.
    [KernelSymbol("skb_copy_and_csum_dev"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void SkbCopyAndCsumDev(nint skb, nint to)
    {
        if (skb.Bits(SkbLayout.IpSummed) == SkbLayout.ChecksumPartial)
            Machine.Fatal("skb_copy_and_csum_dev: CHECKSUM_PARTIAL packet, but no checksum offload was offered");
        CopyBits(skb, 0, to, (int)skb.U32(SkbLayout.Len));
    }

    [KernelSymbol("skb_tstamp_tx"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void SkbTstampTx(nint skb, nint hwtstamps) { }

    [KernelSymbol("skb_clone_tx_timestamp"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void SkbCloneTxTimestamp(nint skb) { }

    // The drop reason changes nothing here. 6.2 renamed __dev_kfree_skb_any/_irq to
    // dev_kfree_skb_any_reason/_irq_reason (same arguments).
    [KernelSymbol("__dev_kfree_skb_any"), KernelSymbol("__dev_kfree_skb_irq"), KernelSymbol("dev_kfree_skb_any_reason"),
     KernelSymbol("dev_kfree_skb_irq_reason"), KernelSymbol("kfree_skb_reason"),
     UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void KfreeSkb(nint skb, uint reason) => Free(skb);

    // The NAPI budget (0 from a non-NAPI context) changes nothing here either.
    [KernelSymbol("napi_consume_skb"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void NapiConsumeSkb(nint skb, int budget) => Free(skb);

    // 6.11: kfree_skb_reason(skb, reason) is inline over sk_skb_reason_drop(NULL, skb, reason).
    [KernelSymbol("sk_skb_reason_drop"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void SkSkbReasonDrop(nint sk, nint skb, uint reason) => Free(skb);

    [KernelSymbol("consume_skb"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void ConsumeSkb(nint skb) => Free(skb);

    private static nint Frag(nint skb, int i) => SharedInfo(skb).At(SkbLayout.Frags) + i * SkbLayout.FragSize.Size;

    /// <summary>skb_add_rx_frag(): the page area becomes fragment <paramref name="i"/> (skb_fill_page_desc()) and counts in the skb's lengths.</summary>
    [KernelSymbol("skb_add_rx_frag"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void SkbAddRxFrag(nint skb, int i, nint page, int offset, int size, uint truesize) => AddRxFrag(skb, i, page, offset, size, truesize);

    /// <summary>6.12's skb_add_rx_frag() passes the page as a netmem_ref, which for a page is its address; a net_iov
    /// (bit 0 set) is device memory TCP's, which nothing here makes.</summary>
    [KernelSymbol("skb_add_rx_frag_netmem"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void SkbAddRxFragNetmem(nint skb, int i, ulong netmem, int offset, int size, uint truesize)
    {
        if ((netmem & 1) != 0)
        {
            Machine.Fatal("skb_add_rx_frag_netmem: a net_iov fragment (device memory), which the shim does not have");
            return;
        }
        AddRxFrag(skb, i, (nint)netmem, offset, size, truesize);
    }

    private static void AddRxFrag(nint skb, int i, nint page, int offset, int size, uint truesize)
    {
        nint frag = Frag(skb, i);
        frag.Ptr(SkbLayout.FragPage, page);
        frag.U32(SkbLayout.FragOffset, (uint)offset);
        frag.U32(SkbLayout.FragLen, (uint)size);
        SharedInfo(skb).U8(SkbLayout.NrFrags, (byte)(i + 1));
        Grow(skb, size, truesize);
    }

    /// <summary>skb_coalesce_rx_frag(): fragment <paramref name="i"/> grows by <paramref name="size"/> bytes of the same page.</summary>
    [KernelSymbol("skb_coalesce_rx_frag"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void SkbCoalesceRxFrag(nint skb, int i, int size, uint truesize)
    {
        nint frag = Frag(skb, i);
        frag.U32(SkbLayout.FragLen, frag.U32(SkbLayout.FragLen) + (uint)size);
        Grow(skb, size, truesize);
    }

    private static void Grow(nint skb, int size, uint truesize)
    {
        skb.U32(SkbLayout.Len, skb.U32(SkbLayout.Len) + (uint)size);
        skb.U32(SkbLayout.DataLen, skb.U32(SkbLayout.DataLen) + (uint)size);
        skb.U32(SkbLayout.Truesize, skb.U32(SkbLayout.Truesize) + truesize);
    }

    /// <summary>
    /// skb_page_frag_refill() (net/core/sock.c): the fragment's page is kept while it has room for <paramref name="size"/>
    /// bytes (or starts over when nobody else holds it); else a new page. Linux first tries a 32 KiB compound page;
    /// compound pages are not modelled here, so it takes the order-0 page Linux falls back to.
    /// </summary>
    [KernelSymbol("skb_page_frag_refill"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static byte SkbPageFragRefill(uint size, nint pfrag, uint gfp)
    {
        nint page = pfrag.Ptr(PageFragLayout.Page);
        if (page != 0)
        {
            if (page.I32(PageLayout.RefCount) == 1)
            {
                pfrag.U32(PageFragLayout.Offset, 0);
                return 1;
            }
            if (pfrag.U32(PageFragLayout.Offset) + size <= pfrag.U32(PageFragLayout.Size))
                return 1;
            Memory.PutPage(page);
        }
        pfrag.U32(PageFragLayout.Offset, 0);
        page = FaultInjection.Fail("page_alloc") ? 0 : Memory.AllocatePages(gfp & ~GfpFlags.Zero, 0);
        pfrag.Ptr(PageFragLayout.Page, page);
        if (page == 0)
            return 0;
        pfrag.U32(PageFragLayout.Size, PhysicalMemory.PageSize);
        return 1;
    }

    private const int EMsgSize = -90;

    /// <summary>__skb_to_sgvec(): the entries for <paramref name="len"/> bytes from <paramref name="offset"/>: head, fragments, frag_list.</summary>
    private static int ToSgvec(nint skb, nint sg, int offset, int len, int recursion)
    {
        if (recursion >= 24)
            return EMsgSize;
        var g = Scatterlist.Layout;
        int start = Headlen(skb), elt = 0;
        int copy = start - offset;
        if (copy > 0)
        {
            copy = Math.Min(copy, len);
            Scatterlist.SetBuffer(sg, skb.Ptr(SkbLayout.Data) + offset, (uint)copy);
            elt++;
            if ((len -= copy) == 0)
                return elt;
            offset += copy;
        }
        int frags = SharedInfo(skb).U8(SkbLayout.NrFrags);
        for (int i = 0; i < frags; i++)
        {
            nint frag = Frag(skb, i);
            int end = start + (int)frag.U32(SkbLayout.FragLen);
            if ((copy = end - offset) > 0)
            {
                if (elt > 0 && g.IsLast(sg + (elt - 1) * g.Size))
                    return EMsgSize;
                copy = Math.Min(copy, len);
                g.SetPage(sg + elt * g.Size, frag.Ptr(SkbLayout.FragPage), (uint)copy, frag.U32(SkbLayout.FragOffset) + (uint)(offset - start));
                elt++;
                if ((len -= copy) == 0)
                    return elt;
                offset += copy;
            }
            start = end;
        }
        for (nint it = SharedInfo(skb).Ptr(SkbLayout.FragList); it != 0; it = it.Ptr(SkbLayout.Next))
        {
            int end = start + (int)it.U32(SkbLayout.Len);
            if ((copy = end - offset) > 0)
            {
                if (elt > 0 && g.IsLast(sg + (elt - 1) * g.Size))
                    return EMsgSize;
                copy = Math.Min(copy, len);
                int n = ToSgvec(it, sg + elt * g.Size, offset - start, copy, recursion + 1);
                if (n < 0)
                    return n;
                elt += n;
                if ((len -= copy) == 0)
                    return elt;
                offset += copy;
            }
            start = end;
        }
        if (len != 0)
            Machine.Fatal($"skb_to_sgvec: {len} bytes past the end of the skb"); // BUG_ON(len)
        return elt;
    }

    /// <summary>skb_to_sgvec(): the skb's data as scatterlist entries, the last one marked as the end; their count or -EMSGSIZE.</summary>
    [KernelSymbol("skb_to_sgvec"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int SkbToSgvec(nint skb, nint sg, int offset, int len)
    {
        int n = ToSgvec(skb, sg, offset, len, 0);
        if (n <= 0)
            return n;
        Scatterlist.Layout.MarkEnd(sg + (n - 1) * Scatterlist.Layout.Size);
        return n;
    }

    /// <summary>skb_partial_csum_set(): the device left the checksum to the stack from <paramref name="start"/>, stored at +<paramref name="off"/>.</summary>
    [KernelSymbol("skb_partial_csum_set"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static byte SkbPartialCsumSet(nint skb, ushort start, ushort off)
    {
        uint csumEnd = (uint)start + off + 2;
        uint headroom = (uint)(skb.Ptr(SkbLayout.Data) - skb.Ptr(SkbLayout.Head));
        uint csumStart = headroom + start;
        if (csumStart > ushort.MaxValue || csumEnd > (uint)Headlen(skb))
        {
            Machine.Log(4, $"bad partial csum: csum={start}/{off} headroom={headroom} headlen={Headlen(skb)}");
            return 0;
        }
        skb.Bits(SkbLayout.IpSummed, (uint)SkbLayout.ChecksumPartial);
        skb.U16(SkbLayout.CsumStart, (ushort)csumStart);
        skb.U16(SkbLayout.CsumOffset, off);
        skb.U16(SkbLayout.TransportHeader, (ushort)csumStart);
        return 1;
    }

    /// <summary>
    /// skb_checksum_help() (net/core/dev.c): the checksum a CHECKSUM_PARTIAL packet left to the device is computed
    /// in software, from csum_start to the end, and stored at csum_start + csum_offset; the packet is then
    /// CHECKSUM_NONE. 0, or -EINVAL for a GSO packet or offsets outside the linear part (a WARN in Linux).
    /// </summary>
    [KernelSymbol("skb_checksum_help"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int SkbChecksumHelp(nint skb)
    {
        const int EInval = -22;
        if (skb.Bits(SkbLayout.IpSummed) != SkbChecksumLayout.ChecksumComplete)
        {
            if (SharedInfo(skb).U16(SkbChecksumLayout.GsoSize) != 0)
            {
                Machine.Log(4, "skb_checksum_help: a GSO packet, which the stack segments before any checksum");
                return EInval;
            }
            int headroom = (int)(skb.Ptr(SkbLayout.Data) - skb.Ptr(SkbLayout.Head));
            int offset = skb.U16(SkbChecksumLayout.CsumStart) - headroom, len = (int)skb.U32(SkbLayout.Len);
            if (offset < 0 || offset >= Headlen(skb) || offset + skb.U16(SkbChecksumLayout.CsumOffset) + 2 > Headlen(skb))
            {
                Machine.Log(4, $"WARNING: skb_checksum_help: checksum at {offset}+{skb.U16(SkbChecksumLayout.CsumOffset)} outside the {Headlen(skb)} linear bytes");
                return EInval;
            }
            var bytes = new byte[len - offset];
            fixed (byte* p = bytes)
                CopyBits(skb, offset, (nint)p, bytes.Length);
            uint sum = KernelLib.CsumPartial(bytes, 0);
            while (sum >> 16 != 0)
                sum = (sum & 0xffff) + (sum >> 16);
            ushort folded = (ushort)~sum;
            // The linear part is the driver's own (the shim never clones a packet), so it is writable.
            *(ushort*)(skb.Ptr(SkbLayout.Data) + offset + skb.U16(SkbChecksumLayout.CsumOffset)) = folded == 0 ? (ushort)0xffff : folded; // CSUM_MANGLED_0
        }
        skb.Bits(SkbLayout.IpSummed, (uint)SkbChecksumLayout.ChecksumNone);
        return 0;
    }
}

