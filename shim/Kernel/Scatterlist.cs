// SPDX-License-Identifier: MIT
// Managed side. Scatterlists (lib/scatterlist.c, include/linux/scatterlist.h): arrays of (page, offset,
// length) entries whose page_link carries the page pointer and two marks in its low bits, SG_END on the
// last entry and SG_CHAIN on an entry that points to the next array instead of a page.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using LinuxShim.Shim.Layout;

namespace LinuxShim.Shim.Kernel;

public static unsafe class Scatterlist
{
    /// <summary>Where struct scatterlist keeps its fields (read from the headers; any in tests).</summary>
    public sealed record Geometry(int Size, int PageLink, int Offset, int Length, ulong Chain = 1, ulong End = 2)
    {
        private ulong Marks => Chain | End;

        public ulong Link(nint sg) => *(ulong*)(sg + PageLink);
        public void Link(nint sg, ulong v) => *(ulong*)(sg + PageLink) = v;
        public nint Page(nint sg) => (nint)(Link(sg) & ~Marks);
        public uint OffsetOf(nint sg) => *(uint*)(sg + Offset);
        public uint LengthOf(nint sg) => *(uint*)(sg + Length);
        public bool IsLast(nint sg) => (Link(sg) & End) != 0;
        public bool IsChain(nint sg) => (Link(sg) & Chain) != 0;

        /// <summary>sg_init_table(): zeroed entries, the last one marked as the end.</summary>
        public void InitTable(nint sgl, uint nents)
        {
            NativeMemory.Clear((void*)sgl, (nuint)(Size * (long)nents));
            if (nents > 0)
                MarkEnd(sgl + (nint)(Size * (nents - 1)));
        }

        /// <summary>sg_mark_end(): this entry ends the list (and is no chain link).</summary>
        public void MarkEnd(nint sg) => Link(sg, (Link(sg) | End) & ~Chain);

        /// <summary>sg_set_page(): the page (its marks kept), offset and length of one entry.</summary>
        public void SetPage(nint sg, nint page, uint length, uint offset)
        {
            Link(sg, (ulong)page | (Link(sg) & Marks));
            *(uint*)(sg + Offset) = offset;
            *(uint*)(sg + Length) = length;
        }

        /// <summary>sg_chain(): the last entry of <paramref name="prv"/> (of <paramref name="prvNents"/>) links to <paramref name="next"/>.</summary>
        public void ChainTo(nint prv, uint prvNents, nint next)
        {
            nint link = prv + (nint)(Size * (prvNents - 1));
            *(uint*)(link + Offset) = 0;
            *(uint*)(link + Length) = 0;
            Link(link, ((ulong)next | Chain) & ~End);
        }

        /// <summary>sg_next(): the following entry, through a chain link; 0 after the last.</summary>
        public nint Next(nint sg)
        {
            if (IsLast(sg))
                return 0;
            sg += Size;
            if (IsChain(sg))
                sg = Page(sg);
            return sg;
        }
    }

    private static Geometry? _layout;

    public static Geometry Layout => _layout ??= new Geometry(ScatterlistLayout.Size.Size, ScatterlistLayout.PageLink.Offset,
        ScatterlistLayout.Offset.Offset, ScatterlistLayout.Length.Offset, ScatterlistLayout.Chain, ScatterlistLayout.End);

    /// <summary>sg_set_buf(): the entry covers <paramref name="length"/> bytes at <paramref name="buffer"/> (memory of the machine).</summary>
    public static void SetBuffer(nint sg, nint buffer, uint length)
    {
        nint page = Machine.Memory.VirtualToPage(buffer);
        Layout.SetPage(sg, page, length, (uint)(buffer & (PhysicalMemory.PageSize - 1)));
    }

    [KernelSymbol("sg_init_table"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void SgInitTable(nint sgl, uint nents) => Layout.InitTable(sgl, nents);

    [KernelSymbol("sg_init_one"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void SgInitOne(nint sg, nint buffer, uint length)
    {
        Layout.InitTable(sg, 1);
        SetBuffer(sg, buffer, length);
    }

    [KernelSymbol("sg_next"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint SgNext(nint sg) => Layout.Next(sg);
}
