// SPDX-License-Identifier: MIT
// Managed side. Allocator over the driver's physical memory: size classes of 16 to 2048 bytes carved
// from pages, and page runs for anything larger (naturally aligned to their size class, as the
// kernel guarantees for power-of-two kmalloc sizes). Every block remembers its size (ksize, krealloc).
namespace LinuxShim.Shim.Kernel;

public sealed class HeapAllocator
{
    private const int SmallestShift = 4, LargestSmallShift = 11;
    private readonly PhysicalMemory _memory;
    private readonly Stack<nint>[] _free = new Stack<nint>[LargestSmallShift + 1];
    private readonly Dictionary<nint, int> _sizes = new();
    private readonly ulong[] _pageUsed;
    private readonly Dictionary<nint, int> _runs = new();
    private int _searchFrom;
    private readonly object _gate = new();

    public HeapAllocator(PhysicalMemory memory)
    {
        _memory = memory;
        _pageUsed = new ulong[(memory.PageCount + 63) / 64];
        for (int i = 0; i < _free.Length; i++)
            _free[i] = new Stack<nint>();
    }

    public long BytesInUse { get; private set; }

    /// <summary>Allocates <paramref name="size"/> bytes (0 when memory is exhausted), not zeroed.</summary>
    public nint Allocate(long size, int alignment = 8)
    {
        if (size <= 0)
            size = 1;
        lock (_gate)
        {
            if (size <= 1 << LargestSmallShift && alignment <= 1 << LargestSmallShift)
            {
                int shift = SmallestShift;
                while ((1L << shift) < size || (1 << shift) < alignment)
                    shift++;
                var stack = _free[shift];
                if (stack.Count == 0)
                {
                    nint page = AllocatePages(1);
                    if (page == 0)
                        return 0;
                    for (int off = PhysicalMemory.PageSize - (1 << shift); off >= 0; off -= 1 << shift)
                        stack.Push(page + off);
                }
                nint block = stack.Pop();
                _sizes[block] = 1 << shift;
                BytesInUse += 1 << shift;
                return block;
            }
            int pages = (int)((size + PhysicalMemory.PageSize - 1) / PhysicalMemory.PageSize);
            nint run = AllocatePages(pages);
            if (run != 0)
            {
                _runs[run] = pages;
                _sizes[run] = pages * PhysicalMemory.PageSize;
                BytesInUse += pages * PhysicalMemory.PageSize;
            }
            return run;
        }
    }

    /// <summary>Size of the block at <paramref name="block"/> (what ksize() reports), or 0 if it is not one.</summary>
    public long SizeOf(nint block)
    {
        lock (_gate)
            return _sizes.TryGetValue(block, out int s) ? s : 0;
    }

    /// <summary>The allocated block that <paramref name="address"/> lies in (0 if none): page_frag_free() gets
    /// a pointer into its fragment (e1000 adds its headroom), as virt_to_head_page() allows.</summary>
    public nint BlockContaining(nint address)
    {
        lock (_gate)
        {
            // Small blocks are aligned to their size class; runs start on a page and are recorded in _runs.
            for (int shift = SmallestShift; shift <= LargestSmallShift; shift++)
            {
                nint start = address & ~(((nint)1 << shift) - 1);
                if (_sizes.TryGetValue(start, out int size) && size == 1 << shift)
                    return start;
            }
            long offset = address - _memory.HostBase;
            if (offset < 0 || offset >= (long)_memory.PageCount * PhysicalMemory.PageSize)
                return 0;
            for (long page = offset / PhysicalMemory.PageSize; page >= 0 && Used((int)page); page--)
            {
                nint start = _memory.HostBase + (nint)(page * PhysicalMemory.PageSize);
                if (_runs.TryGetValue(start, out int count))
                    return address < start + (nint)count * PhysicalMemory.PageSize ? start : 0;
            }
            return 0;
        }
    }

    /// <summary>Frees a block from <see cref="Allocate"/>; false if it is not one (a double or wild free).</summary>
    public bool Free(nint block)
    {
        lock (_gate)
        {
            if (!_sizes.Remove(block, out int size))
                return false;
            BytesInUse -= size;
            if (!_runs.ContainsKey(block))
            {
                _free[System.Numerics.BitOperations.Log2((uint)size)].Push(block);
                return true;
            }
            FreePages(block);
            return true;
        }
    }

    /// <summary>Allocates 2^order contiguous pages aligned to their size (alloc_pages).</summary>
    public nint AllocatePageBlock(int order)
    {
        lock (_gate)
        {
            nint p = AllocatePages(1 << order, 1 << order);
            if (p != 0)
            {
                _runs[p] = 1 << order;
                _sizes[p] = (1 << order) * PhysicalMemory.PageSize;
                BytesInUse += _sizes[p];
            }
            return p;
        }
    }

    private nint AllocatePages(int count, int alignPages = 1)
    {
        int total = _memory.PageCount;
        for (int pass = 0; pass < 2; pass++)
        {
            int start = pass == 0 ? _searchFrom : 0;
            start = (start + alignPages - 1) / alignPages * alignPages;
            for (int i = start; i + count <= total; i += alignPages)
            {
                int free = 0;
                while (free < count && !Used(i + free))
                    free++;
                if (free == count)
                {
                    for (int j = 0; j < count; j++)
                        _pageUsed[(i + j) / 64] |= 1UL << ((i + j) % 64);
                    _searchFrom = i + count;
                    return _memory.HostBase + (nint)i * PhysicalMemory.PageSize;
                }
                if (alignPages == 1)
                    i += free;
            }
        }
        return 0;
    }

    private void FreePages(nint address)
    {
        if (!_runs.Remove(address, out int count))
            return;
        int first = (int)((address - _memory.HostBase) / PhysicalMemory.PageSize);
        for (int j = 0; j < count; j++)
            _pageUsed[(first + j) / 64] &= ~(1UL << ((first + j) % 64));
        _searchFrom = Math.Min(_searchFrom, first);
    }

    private bool Used(int page) => (_pageUsed[page / 64] >> (page % 64) & 1) != 0;

    /// <summary>The size of the block <see cref="Allocate"/> would give for <paramref name="size"/> bytes (what kmalloc_size_roundup() reports).</summary>
    public static long BlockSize(long size, int alignment = 8)
    {
        if (size <= 0)
            size = 1;
        if (size <= 1 << LargestSmallShift && alignment <= 1 << LargestSmallShift)
        {
            int shift = SmallestShift;
            while ((1L << shift) < size || (1 << shift) < alignment)
                shift++;
            return 1L << shift;
        }
        return (size + PhysicalMemory.PageSize - 1) / PhysicalMemory.PageSize * PhysicalMemory.PageSize;
    }
}
