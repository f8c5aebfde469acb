// SPDX-License-Identifier: MIT
// Managed side. The device tree as drivers see it (drivers/of: base.c, property.c, device.c, fdt.c, and
// net/core/of_net.c's MAC address). Load() unflattens a parsed DTB into kernel memory as Linux's
// unflatten_device_tree() does: one struct device_node per node (full_name the node's own name with its unit
// address, "/" for the root, name the "name" property, which is made from the node name when the blob has none, phandle, the
// parent/child/sibling links in blob order, fwnode with ops = &of_fwnode_ops) and one struct property per
// property (value a copy of the blob's bytes, never NULL, even for an empty property). The of_* symbols then
// walk that memory, not the managed tree, as Linux walks its own: a pointer a driver gets (a property's value,
// a string) stays valid for as long as the host runs. Nodes are never freed (no CONFIG_OF_DYNAMIC: Linux's
// of_node_get/of_node_put are then no-ops, and so are ours when a configuration exports them).
// Interrupts of a node are not mapped here: a platform device's interrupts are its platform resources
// (Platform.cs), so fwnode_irq_get() answers an error and a PHY without one is polled.
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using LinuxShim.Posix;
using LinuxShim.Shim.DeviceTree;
using LinuxShim.Shim.Layout;

namespace LinuxShim.Shim.Kernel;

public static unsafe class OpenFirmware
{
    internal const int ENoEnt = 2, ENxio = 6, ENoMem = 12, ENoDev = 19, EInval = 22, ENoData = 61, EOverflow = 75, EIlseq = 84;

    private static readonly object Gate = new();
    private static readonly Dictionary<DeviceTreeNode, nint> Nodes = new(ReferenceEqualityComparer.Instance);
    private static readonly Dictionary<nint, DeviceTreeNode> ByPointer = [];
    private static readonly Dictionary<uint, nint> ByPhandle = [];
    private static readonly List<(string Stem, int Id, nint Node)> Aliases = [];
    private static nint _root;
    private static FlattenedDeviceTree? _tree;

    /// <summary>The address of the driver image's of_fwnode_ops (shim/native/of.c), what is_of_node() compares
    /// fwnode->ops with; 0 when no image is loaded or it was built without CONFIG_OF.</summary>
    public static nint FwnodeOps { get; private set; }

    /// <summary>The root's device_node, or 0 before <see cref="Load"/>.</summary>
    public static nint Root
    {
        get
        {
            lock (Gate)
                return _root;
        }
    }

    /// <summary>
    /// Unflattens <paramref name="tree"/> into driver-visible memory (call it after the driver image is loaded, so
    /// each node's fwnode.ops is that image's &amp;of_fwnode_ops). A later Load replaces the tree the of_* calls
    /// answer from; the earlier nodes stay allocated, as a driver may still hold them.
    /// </summary>
    public static void Load(FlattenedDeviceTree tree)
    {
        nint ops = Machine.Library is { } library ? Libc.DlSym(library.Handle, "of_fwnode_ops") : 0;
        lock (Gate)
        {
            Nodes.Clear();
            ByPointer.Clear();
            ByPhandle.Clear();
            Aliases.Clear();
            FwnodeOps = ops;
            _tree = tree;
            _root = Unflatten(tree.Root, 0);
            ScanAliases(tree);
        }
    }

    /// <summary>The device_node of a node of the loaded tree, or 0 when it is not one.</summary>
    public static nint Node(DeviceTreeNode node)
    {
        lock (Gate)
            return Nodes.GetValueOrDefault(node);
    }

    /// <summary>The managed node a device_node was made from, or null (0, or no node of the loaded tree).</summary>
    public static DeviceTreeNode? Managed(nint np)
    {
        lock (Gate)
            return ByPointer.GetValueOrDefault(np);
    }

    /// <summary>of_match_node(): the entry of an of_device_id table (ended by an entry with no name, type and
    /// compatible) that matches <paramref name="np"/> best, or 0. See <see cref="Score"/>.</summary>
    public static nint Match(nint ofDeviceIdTable, nint np)
    {
        if (ofDeviceIdTable == 0 || np == 0)
            return 0;
        nint best = 0;
        int bestScore = 0;
        for (nint m = ofDeviceIdTable; ; m += OfLayout.IdSize.Size)
        {
            nint name = m.At(OfLayout.IdName), type = m.At(OfLayout.IdType), compatible = m.At(OfLayout.IdCompatible);
            if (*(byte*)name == 0 && *(byte*)type == 0 && *(byte*)compatible == 0)
                return best;
            int score = Score(np, compatible, type, name);
            if (score > bestScore)
            {
                best = m;
                bestScore = score;
            }
        }
    }

    /// <summary>The fwnode_handle embedded in a device_node (of_fwnode_handle()), 0 for 0.</summary>
    public static nint Fwnode(nint np) => np == 0 ? 0 : np.At(OfLayout.NodeFwnode);

    /// <summary>to_of_node(): the device_node whose fwnode this is, or 0 when it is no node of the device tree.</summary>
    public static nint OfNode(nint fwnode)
    {
        if (fwnode == 0 || (ulong)fwnode >= unchecked((ulong)-4095L))
            return 0;
        nint np = fwnode - OfLayout.NodeFwnode.Offset;
        lock (Gate)
            return ByPointer.ContainsKey(np) || (FwnodeOps != 0 && fwnode.Ptr(FwnodeLayout.Ops) == FwnodeOps) ? np : 0;
    }

    // ---- Unflattening (drivers/of/fdt.c: populate_node(), populate_properties(); of_alias_scan()).

    private static nint Unflatten(DeviceTreeNode node, nint parent)
    {
        // The root's full_name is "/" (what of_fwnode_get_name_prefix() and %pOF expect of it); the others' their own name.
        byte[] fullName = Encoding.ASCII.GetBytes(node.Parent is null ? "/" : node.FullName);
        nint np = Allocate(OfLayout.NodeSize.Size + fullName.Length + 1);
        nint fn = np + OfLayout.NodeSize.Size;
        fullName.CopyTo(new Span<byte>((void*)fn, fullName.Length));
        np.Ptr(OfLayout.NodeFullName, fn);
        // of_node_init() -> fwnode_init(): the ops, and the device-link lists empty.
        nint fw = np.At(OfLayout.NodeFwnode);
        fw.Ptr(FwnodeLayout.Ops, FwnodeOps);
        fw.Ptr(FwnodeLayout.SuppliersNext, fw.At(FwnodeLayout.SuppliersNext));
        fw.Ptr(FwnodeLayout.SuppliersPrev, fw.At(FwnodeLayout.SuppliersNext));
        fw.Ptr(FwnodeLayout.ConsumersNext, fw.At(FwnodeLayout.ConsumersNext));
        fw.Ptr(FwnodeLayout.ConsumersPrev, fw.At(FwnodeLayout.ConsumersNext));
        np.Ptr(OfLayout.NodeParent, parent);

        // The properties in blob order; a blob without "name" gets one made of the node name up to its '@',
        // appended last, as populate_properties() does for version 0x10 blobs and later.
        var properties = node.Properties.Select(p => (Name: p.Name, p.Value)).ToList();
        if (node.Property("name") is null)
            properties.Add(("name", [.. Encoding.ASCII.GetBytes(node.Name), 0]));
        nint* next = (nint*)np.At(OfLayout.NodeProperties);
        foreach (var (name, value) in properties)
        {
            nint pp = NewProperty(name, value);
            *next = pp;
            next = (nint*)pp.At(OfLayout.PropertyNext);
        }
        np.Ptr(OfLayout.NodeName, FindProperty(np, "name") is var nameProp and not 0 ? nameProp.Ptr(OfLayout.PropertyValue) : CString("<NULL>"));
        // "phandle", else the legacy "linux,phandle" (a "phandle" that is 0 or -1 names nothing).
        if (node.Phandle is { } phandle)
        {
            np.U32(OfLayout.NodePhandle, phandle);
            if (phandle is not (0 or 0xffffffff))
                ByPhandle.TryAdd(phandle, np);
        }
        Nodes[node] = np;
        ByPointer[np] = np == 0 ? throw new InvalidOperationException() : node;

        nint* link = (nint*)np.At(OfLayout.NodeChild);
        foreach (var child in node.Children)
        {
            nint c = Unflatten(child, np);
            *link = c;
            link = (nint*)c.At(OfLayout.NodeSibling);
        }
        return np;
    }

    private static nint NewProperty(string name, byte[] value)
    {
        byte[] nameBytes = Encoding.ASCII.GetBytes(name);
        int valueAt = (OfLayout.PropertySize.Size + nameBytes.Length + 1 + 7) & ~7;
        nint pp = Allocate(valueAt + Math.Max(value.Length, 1));
        nint n = pp + OfLayout.PropertySize.Size;
        nameBytes.CopyTo(new Span<byte>((void*)n, nameBytes.Length));
        value.CopyTo(new Span<byte>((void*)(pp + valueAt), value.Length));
        pp.Ptr(OfLayout.PropertyName, n);
        pp.I32(OfLayout.PropertyLength, value.Length);
        pp.Ptr(OfLayout.PropertyValue, pp + valueAt);
        return pp;
    }

    /// <summary>of_alias_scan(): each /aliases property naming a node, split into its stem and the number it ends with
    /// ("ethernet0": "ethernet", 0); an alias without a number, or naming no node, is left out.</summary>
    private static void ScanAliases(FlattenedDeviceTree tree)
    {
        if (tree.Root.Child("aliases") is not { } aliases)
            return;
        foreach (var p in aliases.Properties)
        {
            if (p.Name is "name" or "phandle" or "linux,phandle" || p.AsString() is not { } path)
                continue;
            if (tree.Find(path) is not { } target || !Nodes.TryGetValue(target, out nint np))
                continue;
            int end = p.Name.Length;
            while (end > 0 && char.IsAsciiDigit(p.Name[end - 1]))
                end--;
            if (end == p.Name.Length || !int.TryParse(p.Name.AsSpan(end), System.Globalization.NumberStyles.None, null, out int id))
                continue;
            Aliases.Add((p.Name[..end], id, np));
        }
    }

    private static nint Allocate(long size)
    {
        nint p = Memory.Allocate(size, 0);
        if (p == 0)
            throw new OutOfMemoryException($"the device tree needs {size} bytes more than the machine's memory has");
        NativeMemory.Clear((void*)p, (nuint)size);
        return p;
    }

    private static nint CString(string s)
    {
        int n = Encoding.UTF8.GetByteCount(s) + 1;
        nint p = Allocate(n);
        Access.WriteCString(p, n, s);
        return p;
    }

    // ---- Reading the unflattened tree, as drivers/of/base.c does.

    private static ReadOnlySpan<byte> Str(nint s) => s == 0 ? default : MemoryMarshal.CreateReadOnlySpanFromNullTerminated((byte*)s);

    private static bool Equal(nint s, ReadOnlySpan<byte> name) => s != 0 && Str(s).SequenceEqual(name);

    /// <summary>__of_find_property(): the node's property named <paramref name="name"/> (compared exactly), or 0.</summary>
    internal static nint FindProperty(nint np, ReadOnlySpan<byte> name)
    {
        if (np == 0)
            return 0;
        for (nint pp = np.Ptr(OfLayout.NodeProperties); pp != 0; pp = pp.Ptr(OfLayout.PropertyNext))
            if (Equal(pp.Ptr(OfLayout.PropertyName), name))
                return pp;
        return 0;
    }

    internal static nint FindProperty(nint np, string name) => FindProperty(np, Encoding.UTF8.GetBytes(name));

    internal static nint FindProperty(nint np, nint name) => name == 0 ? 0 : FindProperty(np, Str(name));

    private static ReadOnlySpan<byte> ValueOf(nint pp) =>
        new((void*)pp.Ptr(OfLayout.PropertyValue), Math.Max(pp.I32(OfLayout.PropertyLength), 0));

    /// <summary>of_find_property_value_of_size(): the value when it is at least <paramref name="min"/> bytes and at most
    /// <paramref name="max"/> (0: no limit); else -EINVAL (no such property), -ENODATA (no value), -EOVERFLOW (the size).</summary>
    private static int ValueOfSize(nint np, nint name, int min, int max, out nint value, out int length)
    {
        value = 0;
        length = 0;
        nint pp = FindProperty(np, name);
        if (pp == 0)
            return -EInval;
        if (pp.Ptr(OfLayout.PropertyValue) == 0)
            return -ENoData;
        length = pp.I32(OfLayout.PropertyLength);
        if (length < min || (max != 0 && length > max))
            return -EOverflow;
        value = pp.Ptr(OfLayout.PropertyValue);
        return 0;
    }

    /// <summary>of_node_name_eq(): the node's name (its full_name's last component up to '@') is exactly <paramref name="name"/>.</summary>
    internal static bool NameEquals(nint np, ReadOnlySpan<byte> name)
    {
        if (np == 0)
            return false;
        var full = Str(np.Ptr(OfLayout.NodeFullName));
        full = full[(full.LastIndexOf((byte)'/') + 1)..]; // kbasename()
        int at = full.IndexOf((byte)'@');
        return (at < 0 ? full : full[..at]).SequenceEqual(name);
    }

    /// <summary>of_device_is_available(): "status" absent, or "okay" or "ok".</summary>
    internal static bool IsAvailable(nint np)
    {
        if (np == 0)
            return false;
        nint pp = FindProperty(np, "status"u8);
        if (pp == 0)
            return true;
        if (pp.I32(OfLayout.PropertyLength) <= 0)
            return false;
        var status = Str(pp.Ptr(OfLayout.PropertyValue));
        return status.SequenceEqual("okay"u8) || status.SequenceEqual("ok"u8);
    }

    /// <summary>
    /// __of_device_is_compatible(): 0 when <paramref name="np"/> does not meet the constraints given (a NULL or empty
    /// one is none), else a score: a compatible string matched (case-insensitively) at index i weighs INT_MAX/2 - 4i,
    /// so the most specific wins, then a matching "device_type" 2 more, a matching node name 1 more.
    /// </summary>
    internal static int Score(nint np, nint compatible, nint type, nint name)
    {
        if (np == 0)
            return 0;
        int score = 0;
        if (compatible != 0 && *(byte*)compatible != 0)
        {
            string want = Encoding.UTF8.GetString(Str(compatible));
            int index = 0;
            foreach (var s in Strings(FindProperty(np, "compatible"u8)))
            {
                if (string.Equals(Encoding.UTF8.GetString(s), want, StringComparison.OrdinalIgnoreCase))
                {
                    score = int.MaxValue / 2 - (index << 2);
                    break;
                }
                index++;
            }
            if (score == 0)
                return 0;
        }
        if (type != 0 && *(byte*)type != 0)
        {
            nint dt = FindProperty(np, "device_type"u8);
            if (dt == 0 || !Str(dt.Ptr(OfLayout.PropertyValue)).SequenceEqual(Str(type)))
                return 0;
            score += 2;
        }
        if (name != 0 && *(byte*)name != 0)
        {
            if (!NameEquals(np, Str(name)))
                return 0;
            score++;
        }
        return score;
    }

    /// <summary>of_prop_next_string() over a whole property: its NUL-terminated strings (a last one without its NUL is left out).</summary>
    private static List<byte[]> Strings(nint pp)
    {
        var list = new List<byte[]>();
        if (pp == 0 || pp.Ptr(OfLayout.PropertyValue) == 0)
            return list;
        var value = ValueOf(pp);
        while (value.Length > 0)
        {
            int nul = value.IndexOf((byte)0);
            if (nul < 0)
                break;
            list.Add(value[..nul].ToArray());
            value = value[(nul + 1)..];
        }
        return list;
    }

    private static nint NextChild(nint np, nint prev, bool availableOnly)
    {
        if (np == 0)
            return 0;
        for (nint next = prev != 0 ? prev.Ptr(OfLayout.NodeSibling) : np.Ptr(OfLayout.NodeChild); next != 0; next = next.Ptr(OfLayout.NodeSibling))
            if (!availableOnly || IsAvailable(next))
                return next;
        return 0;
    }

    internal static nint NodeByPhandle(uint phandle)
    {
        lock (Gate)
            return ByPhandle.GetValueOrDefault(phandle);
    }

    // ---- Kernel symbols: properties (drivers/of/base.c, property.c).

    [KernelSymbol("of_find_property"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint OfFindProperty(nint np, nint name, int* lenp)
    {
        nint pp = FindProperty(np, name);
        if (pp != 0 && lenp != null)
            *lenp = pp.I32(OfLayout.PropertyLength);
        return pp;
    }

    [KernelSymbol("of_get_property"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint OfGetProperty(nint np, nint name, int* lenp)
    {
        nint pp = FindProperty(np, name);
        if (pp == 0)
            return 0;
        if (lenp != null)
            *lenp = pp.I32(OfLayout.PropertyLength);
        return pp.Ptr(OfLayout.PropertyValue);
    }

    /// <summary>of_property_read_string(): the value, which must hold a NUL within its length (-EILSEQ otherwise).</summary>
    [KernelSymbol("of_property_read_string"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int OfPropertyReadString(nint np, nint name, nint* outString) => ReadString(np, name, outString);

    internal static int ReadString(nint np, nint name, nint* outString)
    {
        nint pp = FindProperty(np, name);
        if (pp == 0)
            return -EInval;
        if (pp.Ptr(OfLayout.PropertyValue) == 0)
            return -ENoData;
        if (ValueOf(pp).IndexOf((byte)0) < 0)
            return -EIlseq;
        *outString = pp.Ptr(OfLayout.PropertyValue);
        return 0;
    }

    /// <summary>of_property_count_elems_of_size(): the value's length in elements; -EINVAL when absent or not a
    /// whole number of elements, -ENODATA without a value.</summary>
    [KernelSymbol("of_property_count_elems_of_size"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int OfPropertyCountElemsOfSize(nint np, nint name, int elemSize) => CountElements(np, name, elemSize);

    internal static int CountElements(nint np, nint name, int elemSize)
    {
        nint pp = FindProperty(np, name);
        if (pp == 0)
            return -EInval;
        if (pp.Ptr(OfLayout.PropertyValue) == 0)
            return -ENoData;
        int length = pp.I32(OfLayout.PropertyLength);
        if (elemSize <= 0 || length % elemSize != 0)
        {
            Machine.Log(3, $"size of {Encoding.UTF8.GetString(Str(name))} in node {Path(np)} is not a multiple of {elemSize}");
            return -EInval;
        }
        return length / elemSize;
    }

    /// <summary>
    /// of_property_read_variable_uN_array(): between <paramref name="min"/> and <paramref name="max"/> big-endian
    /// elements (max 0: exactly min) into <paramref name="out"/> in CPU order; the count read, or -EINVAL (absent),
    /// -ENODATA (no value), -EOVERFLOW (too short, or longer than max).
    /// </summary>
    internal static int ReadArray(nint np, nint name, nint @out, int elemSize, nuint min, nuint max)
    {
        int rc = ValueOfSize(np, name, (int)min * elemSize, (int)max * elemSize, out nint value, out int length);
        if (rc != 0)
            return rc;
        int count = max != 0 ? length / elemSize : (int)min;
        var src = new ReadOnlySpan<byte>((void*)value, count * elemSize);
        for (int i = 0; i < count; i++)
        {
            var e = src.Slice(i * elemSize, elemSize);
            switch (elemSize)
            {
                case 1: ((byte*)@out)[i] = e[0]; break;
                case 2: ((ushort*)@out)[i] = BinaryPrimitives.ReadUInt16BigEndian(e); break;
                case 4: ((uint*)@out)[i] = BinaryPrimitives.ReadUInt32BigEndian(e); break;
                default: ((ulong*)@out)[i] = BinaryPrimitives.ReadUInt64BigEndian(e); break;
            }
        }
        return count;
    }

    [KernelSymbol("of_property_read_variable_u8_array"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int OfPropertyReadVariableU8Array(nint np, nint name, nint @out, nuint min, nuint max) => ReadArray(np, name, @out, 1, min, max);

    [KernelSymbol("of_property_read_variable_u16_array"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int OfPropertyReadVariableU16Array(nint np, nint name, nint @out, nuint min, nuint max) => ReadArray(np, name, @out, 2, min, max);

    [KernelSymbol("of_property_read_variable_u32_array"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int OfPropertyReadVariableU32Array(nint np, nint name, nint @out, nuint min, nuint max) => ReadArray(np, name, @out, 4, min, max);

    [KernelSymbol("of_property_read_variable_u64_array"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int OfPropertyReadVariableU64Array(nint np, nint name, nint @out, nuint min, nuint max) => ReadArray(np, name, @out, 8, min, max);

    /// <summary>of_property_read_u64(): the first 64-bit element; 0 or the error of_find_property_value_of_size() gives.</summary>
    [KernelSymbol("of_property_read_u64"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int OfPropertyReadU64(nint np, nint name, ulong* @out)
    {
        int rc = ValueOfSize(np, name, 8, 0, out nint value, out _);
        if (rc == 0)
            *@out = BinaryPrimitives.ReadUInt64BigEndian(new ReadOnlySpan<byte>((void*)value, 8));
        return rc;
    }

    /// <summary>of_property_read_u32_index(): element <paramref name="index"/> of a u32 array.</summary>
    [KernelSymbol("of_property_read_u32_index"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int OfPropertyReadU32Index(nint np, nint name, uint index, uint* @out)
    {
        int rc = ValueOfSize(np, name, (int)((index + 1) * 4), 0, out nint value, out _);
        if (rc == 0)
            *@out = BinaryPrimitives.ReadUInt32BigEndian(new ReadOnlySpan<byte>((void*)(value + (nint)index * 4), 4));
        return rc;
    }

    [KernelSymbol("of_property_read_u64_index"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int OfPropertyReadU64Index(nint np, nint name, uint index, ulong* @out)
    {
        int rc = ValueOfSize(np, name, (int)((index + 1) * 8), 0, out nint value, out _);
        if (rc == 0)
            *@out = BinaryPrimitives.ReadUInt64BigEndian(new ReadOnlySpan<byte>((void*)(value + (nint)index * 8), 8));
        return rc;
    }

    /// <summary>of_property_match_string(): the index of <paramref name="str"/> in a string-list property; -EINVAL
    /// (absent), -ENODATA (no value, or not in the list), -EILSEQ (a string runs past the value).</summary>
    [KernelSymbol("of_property_match_string"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int OfPropertyMatchString(nint np, nint name, nint str) => MatchString(np, name, str);

    internal static int MatchString(nint np, nint name, nint str)
    {
        nint pp = FindProperty(np, name);
        if (pp == 0)
            return -EInval;
        if (pp.Ptr(OfLayout.PropertyValue) == 0)
            return -ENoData;
        var value = ValueOf(pp);
        var want = Str(str);
        for (int i = 0; value.Length > 0; i++)
        {
            int nul = value.IndexOf((byte)0);
            if (nul < 0)
                return -EIlseq;
            if (value[..nul].SequenceEqual(want))
                return i;
            value = value[(nul + 1)..];
        }
        return -ENoData;
    }

    /// <summary>
    /// of_property_read_string_helper(): with <paramref name="outStrs"/>, up to <paramref name="size"/> strings after
    /// the first <paramref name="skip"/> into it; without, a count. The number of strings past skip, or -EINVAL
    /// (absent), -ENODATA (no value, or none past skip), -EILSEQ (a string runs past the value).
    /// </summary>
    [KernelSymbol("of_property_read_string_helper"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int OfPropertyReadStringHelper(nint np, nint name, nint* outStrs, nuint size, int skip) =>
        ReadStringHelper(np, name, outStrs, size, skip);

    internal static int ReadStringHelper(nint np, nint name, nint* outStrs, nuint size, int skip)
    {
        nint pp = FindProperty(np, name);
        if (pp == 0)
            return -EInval;
        nint p = pp.Ptr(OfLayout.PropertyValue);
        if (p == 0)
            return -ENoData;
        nint end = p + pp.I32(OfLayout.PropertyLength);
        int i;
        for (i = 0; p < end && (outStrs == null || (ulong)i < (ulong)skip + size); i++)
        {
            int nul = new ReadOnlySpan<byte>((void*)p, (int)(end - p)).IndexOf((byte)0);
            if (nul < 0)
                return -EIlseq;
            if (outStrs != null && i >= skip)
                *outStrs++ = p;
            p += nul + 1;
        }
        i -= skip;
        return i <= 0 ? -ENoData : i;
    }

    /// <summary>of_prop_next_u32(): the cell after <paramref name="cur"/> (the first for NULL) of a property, or NULL at its end.</summary>
    [KernelSymbol("of_prop_next_u32"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint OfPropNextU32(nint prop, nint cur, uint* pu)
    {
        if (prop == 0)
            return 0;
        nint value = prop.Ptr(OfLayout.PropertyValue);
        nint next = cur == 0 ? value : cur + 4;
        if (next + 4 > value + prop.I32(OfLayout.PropertyLength))
            return 0;
        *pu = BinaryPrimitives.ReadUInt32BigEndian(new ReadOnlySpan<byte>((void*)next, 4));
        return next;
    }

    /// <summary>of_prop_next_string(): the string after <paramref name="cur"/> (the first for NULL) of a property, or NULL at its end.</summary>
    [KernelSymbol("of_prop_next_string"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint OfPropNextString(nint prop, nint cur)
    {
        if (prop == 0)
            return 0;
        nint value = prop.Ptr(OfLayout.PropertyValue), end = value + prop.I32(OfLayout.PropertyLength);
        if (cur == 0)
            return prop.I32(OfLayout.PropertyLength) > 0 ? value : 0;
        nint next = cur + Str(cur).Length + 1;
        return next >= end ? 0 : next;
    }

    // ---- Kernel symbols: nodes.

    [KernelSymbol("of_node_name_eq"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static byte OfNodeNameEq(nint np, nint name) => (byte)(np != 0 && name != 0 && NameEquals(np, Str(name)) ? 1 : 0);

    /// <summary>of_node_name_prefix(): the node's full_name starts with <paramref name="prefix"/>.</summary>
    [KernelSymbol("of_node_name_prefix"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static byte OfNodeNamePrefix(nint np, nint prefix)
    {
        if (np == 0 || prefix == 0)
            return 0;
        var full = Str(np.Ptr(OfLayout.NodeFullName));
        full = full[(full.LastIndexOf((byte)'/') + 1)..];
        return (byte)(full.StartsWith(Str(prefix)) ? 1 : 0);
    }

    [KernelSymbol("of_device_is_compatible"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int OfDeviceIsCompatible(nint np, nint compatible) => Score(np, compatible, 0, 0);

    [KernelSymbol("of_device_is_available"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static byte OfDeviceIsAvailable(nint np) => (byte)(IsAvailable(np) ? 1 : 0);

    /// <summary>of_device_is_big_endian(): "big-endian", or "native-endian" on a big-endian CPU (x86 is not one).</summary>
    [KernelSymbol("of_device_is_big_endian"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static byte OfDeviceIsBigEndian(nint np) => (byte)(FindProperty(np, "big-endian"u8) != 0 ? 1 : 0);

    [KernelSymbol("of_match_node"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint OfMatchNode(nint matches, nint np) => Match(matches, np);

    /// <summary>of_match_device(): the device's node against the table; none for a device reusing an ancestor's node.</summary>
    [KernelSymbol("of_match_device"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint OfMatchDevice(nint matches, nint dev) => MatchDevice(matches, dev);

    internal static nint MatchDevice(nint matches, nint dev)
    {
        if (matches == 0 || dev == 0 || dev.Ptr(OfLayout.DeviceOfNode) == 0 || dev.Bits(OfLayout.DeviceOfNodeReused) != 0)
            return 0;
        return Match(matches, dev.Ptr(OfLayout.DeviceOfNode));
    }

    /// <summary>of_device_get_match_data(): the data of the bound driver's of_match_table entry for the device, or NULL.</summary>
    [KernelSymbol("of_device_get_match_data"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint OfDeviceGetMatchData(nint dev) => MatchData(dev);

    internal static nint MatchData(nint dev)
    {
        nint driver = dev == 0 ? 0 : dev.Ptr(OfLayout.DeviceDriver);
        if (driver == 0)
            return 0;
        nint match = MatchDevice(driver.Ptr(OfLayout.DriverOfMatchTable), dev);
        return match == 0 ? 0 : match.Ptr(OfLayout.IdData);
    }

    // Without CONFIG_OF_DYNAMIC these are inline no-ops in the headers; a configuration that exports them gets the
    // same, as the unflattened tree is never freed.
    [KernelSymbol("of_node_get"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint OfNodeGet(nint np) => np;

    [KernelSymbol("of_node_put"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void OfNodePut(nint np)
    {
    }

    [KernelSymbol("of_get_parent"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint OfGetParent(nint np) => np == 0 ? 0 : np.Ptr(OfLayout.NodeParent);

    /// <summary>of_get_next_parent(): the parent (the reference to the node is dropped, a no-op here).</summary>
    [KernelSymbol("of_get_next_parent"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint OfGetNextParent(nint np) => np == 0 ? 0 : np.Ptr(OfLayout.NodeParent);

    /// <summary>of_get_next_child(): the child after <paramref name="prev"/>, the first for NULL (for_each_child_of_node).</summary>
    [KernelSymbol("of_get_next_child"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint OfGetNextChild(nint np, nint prev) => NextChild(np, prev, false);

    /// <summary>of_get_next_available_child(): the same, skipping children whose status is not okay (for_each_available_child_of_node).</summary>
    [KernelSymbol("of_get_next_available_child"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint OfGetNextAvailableChild(nint np, nint prev) => NextChild(np, prev, true);

    /// <summary>of_get_child_by_name(): the first child (available or not) whose name, without unit address, is <paramref name="name"/>.</summary>
    [KernelSymbol("of_get_child_by_name"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint OfGetChildByName(nint np, nint name) => ChildByName(np, name, false);

    internal static nint ChildByName(nint np, nint name, bool availableOnly)
    {
        if (name == 0)
            return 0;
        for (nint c = NextChild(np, 0, availableOnly); c != 0; c = NextChild(np, c, availableOnly))
            if (NameEquals(c, Str(name)))
                return c;
        return 0;
    }

    /// <summary>of_get_compatible_child(): the first child (available or not) compatible with <paramref name="compatible"/>.</summary>
    [KernelSymbol("of_get_compatible_child"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint OfGetCompatibleChild(nint np, nint compatible)
    {
        for (nint c = NextChild(np, 0, false); c != 0; c = NextChild(np, c, false))
            if (Score(c, compatible, 0, 0) > 0)
                return c;
        return 0;
    }

    [KernelSymbol("of_find_node_by_phandle"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint OfFindNodeByPhandle(uint phandle) => phandle == 0 ? 0 : NodeByPhandle(phandle);

    /// <summary>of_find_node_opts_by_path() (of_find_node_by_path()): a full path, or an alias and a path below it;
    /// what follows a ':' are options, handed back through <paramref name="opts"/> (NULL when there are none).</summary>
    [KernelSymbol("of_find_node_opts_by_path"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint OfFindNodeOptsByPath(nint path, nint* opts)
    {
        if (path == 0)
            return 0;
        var bytes = Str(path);
        int colon = bytes.IndexOf((byte)':');
        if (opts != null)
            *opts = colon < 0 ? 0 : path + colon + 1;
        string p = Encoding.UTF8.GetString(colon < 0 ? bytes : bytes[..colon]);
        lock (Gate)
            return _tree?.Find(p) is { } node ? Nodes.GetValueOrDefault(node) : 0;
    }

    // ---- phandles (of_phandle_iterator_next(), __of_parse_phandle_with_args()).

    /// <summary>
    /// __of_parse_phandle_with_args(): entry <paramref name="index"/> of the phandle list <paramref name="listName"/>,
    /// each entry a phandle followed by as many cells as the target's <paramref name="cellsName"/> property says (else
    /// <paramref name="cellCount"/> when that is not negative), or <paramref name="cellCount"/> cells when no cells
    /// property is named. 0 with *out filled (np NULL when the phandle names no node and no cells property is read);
    /// -ENOENT when the list is absent, shorter, or the entry is empty (phandle 0); -EINVAL for a malformed list.
    /// </summary>
    [KernelSymbol("__of_parse_phandle_with_args"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int OfParsePhandleWithArgs(nint np, nint listName, nint cellsName, int cellCount, int index, nint outArgs)
    {
        Span<uint> args = stackalloc uint[OfLayout.MaxPhandleArgs];
        int rc = ParsePhandle(np, listName, cellsName, cellCount, index, out nint node, args, out int count, out _);
        if (rc == 0 && outArgs != 0)
        {
            args[..count].CopyTo(new Span<uint>((void*)outArgs.At(OfLayout.PhandleArgsArgs), count));
            outArgs.Ptr(OfLayout.PhandleArgsNode, node);
            outArgs.I32(OfLayout.PhandleArgsCount, count);
        }
        return rc;
    }

    /// <summary>The parse of <see cref="OfParsePhandleWithArgs"/>: the entry's node and arguments (at most args.Length,
    /// as of_phandle_iterator_args() cuts them), and how many entries were walked.</summary>
    internal static int ParsePhandle(nint np, nint listName, nint cellsName, int cellCount, int index, out nint node, Span<uint> args,
        out int argCount, out int entries)
    {
        node = 0;
        argCount = 0;
        entries = 0;
        if (index < 0)
            return -EInval;
        nint pp = FindProperty(np, listName);
        if (pp == 0 || pp.Ptr(OfLayout.PropertyValue) == 0)
            return -ENoEnt;
        uint* cur = (uint*)pp.Ptr(OfLayout.PropertyValue);
        uint* end = cur + pp.I32(OfLayout.PropertyLength) / 4;
        for (int i = 0; cur < end; i++)
        {
            uint phandle = BinaryPrimitives.ReverseEndianness(*cur++);
            nint target = 0;
            uint count = 0;
            if (phandle != 0)
            {
                target = NodeByPhandle(phandle);
                if (cellsName != 0)
                {
                    if (target == 0)
                    {
                        Machine.Log(3, $"{Path(np)}: could not find phandle {phandle}");
                        return -EInval;
                    }
                    if (ValueOfSize(target, cellsName, 4, 0, out nint cells, out _) == 0)
                        count = BinaryPrimitives.ReverseEndianness(*(uint*)cells);
                    else if (cellCount >= 0)
                        count = (uint)cellCount;
                    else
                    {
                        Machine.Log(3, $"{Path(np)}: could not get {Encoding.UTF8.GetString(Str(cellsName))} for {Path(target)}");
                        return -EInval;
                    }
                }
                else
                    count = (uint)cellCount;
                if (count > end - cur)
                {
                    Machine.Log(3, $"{Path(np)}: phandle {Path(target)} needs {count}, found {end - cur}");
                    return -EInval;
                }
            }
            entries++;
            if (i == index)
            {
                if (phandle == 0)
                    return -ENoEnt;
                argCount = (int)Math.Min(count, (uint)args.Length);
                for (int a = 0; a < argCount; a++)
                    args[a] = BinaryPrimitives.ReverseEndianness(cur[a]);
                node = target;
                return 0;
            }
            cur += count;
        }
        return -ENoEnt;
    }

    /// <summary>of_count_phandle_with_args(): the number of entries of a phandle list, or the parse error.</summary>
    [KernelSymbol("of_count_phandle_with_args"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int OfCountPhandleWithArgs(nint np, nint listName, nint cellsName)
    {
        // Without a cells property name the list is all phandles (of_count_phandle_with_args: the size / 4).
        if (cellsName == 0)
        {
            nint pp = FindProperty(np, listName);
            return pp == 0 ? -ENoEnt : pp.I32(OfLayout.PropertyLength) / 4;
        }
        int rc = ParsePhandle(np, listName, cellsName, -1, int.MaxValue, out _, [], out _, out int entries);
        return rc == -ENoEnt ? entries == 0 && FindProperty(np, listName) == 0 ? -ENoEnt : entries : rc;
    }

    // ---- Aliases (of_alias_get_id(), of_alias_get_highest_id()).

    /// <summary>of_alias_get_id(): N of an alias STEM N naming <paramref name="np"/>, or -ENODEV.</summary>
    [KernelSymbol("of_alias_get_id"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int OfAliasGetId(nint np, nint stem)
    {
        string s = Encoding.UTF8.GetString(Str(stem));
        lock (Gate)
            foreach (var a in Aliases)
                if (a.Stem == s && a.Node == np)
                    return a.Id;
        return -ENoDev;
    }

    /// <summary>of_alias_get_highest_id(): the largest N of the aliases STEM N, or -ENODEV when there is none.</summary>
    [KernelSymbol("of_alias_get_highest_id"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int OfAliasGetHighestId(nint stem)
    {
        string s = Encoding.UTF8.GetString(Str(stem));
        int id = -ENoDev;
        lock (Gate)
            foreach (var a in Aliases)
                if (a.Stem == s && a.Id > id)
                    id = a.Id;
        return id;
    }

    // ---- net/core/of_net.c.

    /// <summary>
    /// of_get_mac_address(): the first of "mac-address", "local-mac-address", "address" that is 6 bytes and a
    /// valid unicast address (not multicast, not zero) into <paramref name="addr"/>. Linux then asks NVMEM cells;
    /// there are no NVMEM providers here, so that ends as Linux's lookup does when no cell is found: -ENOENT.
    /// </summary>
    [KernelSymbol("of_get_mac_address"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int OfGetMacAddress(nint np, byte* addr)
    {
        if (np == 0)
            return -ENoDev;
        foreach (var name in new[] { "mac-address", "local-mac-address", "address" })
        {
            nint pp = FindProperty(np, name);
            if (pp == 0 || pp.I32(OfLayout.PropertyLength) != 6)
                continue;
            var mac = ValueOf(pp);
            if ((mac[0] & 1) != 0 || mac.IndexOfAnyExcept((byte)0) < 0)
                continue;
            mac.CopyTo(new Span<byte>(addr, 6));
            return 0;
        }
        return -ENoEnt;
    }

    // ---- Device and fwnode glue (drivers/base/core.c, property.c).

    /// <summary>__dev_fwnode(): the device's node's fwnode when it has an of_node, else dev->fwnode.</summary>
    [KernelSymbol("__dev_fwnode"), KernelSymbol("__dev_fwnode_const"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint DevFwnode(nint dev) => DeviceFwnode(dev);

    internal static nint DeviceFwnode(nint dev)
    {
        if (dev == 0)
            return 0;
        nint np = dev.Ptr(OfLayout.DeviceOfNode);
        return np != 0 ? Fwnode(np) : dev.Ptr(OfLayout.DeviceFwnode);
    }

    /// <summary>device_set_node(): dev->fwnode, and dev->of_node when it is a device-tree node (to_of_node()).</summary>
    [KernelSymbol("device_set_node"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void DeviceSetNode(nint dev, nint fwnode)
    {
        dev.Ptr(OfLayout.DeviceFwnode, fwnode);
        dev.Ptr(OfLayout.DeviceOfNode, OfNode(fwnode));
    }

    /// <summary>device_set_of_node_from_dev(): the node of <paramref name="dev2"/>, marked reused (not matched again).</summary>
    [KernelSymbol("device_set_of_node_from_dev"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void DeviceSetOfNodeFromDev(nint dev, nint dev2)
    {
        dev.Ptr(OfLayout.DeviceOfNode, dev2.Ptr(OfLayout.DeviceOfNode));
        dev.Bits(OfLayout.DeviceOfNodeReused, 1);
    }

    [KernelSymbol("device_match_of_node"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int DeviceMatchOfNode(nint dev, nint np) => dev.Ptr(OfLayout.DeviceOfNode) == np ? 1 : 0;

    [KernelSymbol("device_match_fwnode"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int DeviceMatchFwnode(nint dev, nint fwnode) => DeviceFwnode(dev) == fwnode ? 1 : 0;

    /// <summary>No ACPI namespace is offered to a driver host: no fwnode is an ACPI node.</summary>
    [KernelSymbol("is_acpi_device_node"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static byte IsAcpiDeviceNode(nint fwnode) => 0;

    [KernelSymbol("is_acpi_data_node"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static byte IsAcpiDataNode(nint fwnode) => 0;

    /// <summary>The node's path ("/soc/ethernet@fe2a0000"), for messages (%pOF).</summary>
    public static string Path(nint np)
    {
        if (np == 0)
            return "<no-node>";
        var parts = new List<string>();
        for (nint n = np; n != 0 && n.Ptr(OfLayout.NodeParent) != 0; n = n.Ptr(OfLayout.NodeParent))
            parts.Add(Encoding.UTF8.GetString(Str(n.Ptr(OfLayout.NodeFullName))));
        parts.Reverse();
        return "/" + string.Join('/', parts);
    }
}
