// SPDX-License-Identifier: MIT
// Managed side. A flattened device tree (DTB), as the Devicetree Specification (v0.4, chapter 5) lays it out:
// a big-endian header, the memory reservation block, the structure block (BEGIN_NODE, PROP, END_NODE, NOP, END
// tokens, 4-byte aligned) and the strings block of property names. What a platform driver's device-tree calls
// read (of_find_property, of_property_read_*, of_get_child_by_name, of_match_node, of_parse_phandle,
// of_alias_get_id) is answered from it. The blob comes with a port, not from the driver, but it is still read as
// untrusted input: every offset and length is checked against the blob, nesting is bounded, and anything
// malformed is a DeviceTreeException naming the byte offset.
using System.Buffers.Binary;
using System.Text;

namespace LinuxShim.Shim.DeviceTree;

public sealed class DeviceTreeException(string message) : Exception(message);

public sealed class FlattenedDeviceTree
{
    public const uint Magic = 0xd00dfeed;
    private const uint BeginNode = 1, EndNode = 2, Prop = 3, Nop = 4, End = 9;
    private const int HeaderSize = 40, MaxDepth = 64;

    private readonly Dictionary<uint, DeviceTreeNode> byPhandle = [];

    private FlattenedDeviceTree(DeviceTreeNode root, IReadOnlyList<(ulong Address, ulong Size)> reserved, uint version, uint bootCpu)
    {
        Root = root;
        Reserved = reserved;
        Version = version;
        BootCpu = bootCpu;
        foreach (var node in root.SelfAndDescendants())
            if (node.Phandle is { } p && p is not (0 or 0xffffffff) && !byPhandle.TryAdd(p, node))
                throw new DeviceTreeException($"dtb: phandle 0x{p:x} is given to both {byPhandle[p].Path} and {node.Path}");
    }

    public DeviceTreeNode Root { get; }

    /// <summary>The memory reservation block's entries.</summary>
    public IReadOnlyList<(ulong Address, ulong Size)> Reserved { get; }

    /// <summary>The format version (17 for what dtc writes).</summary>
    public uint Version { get; }

    /// <summary>The boot CPU's physical id from the header.</summary>
    public uint BootCpu { get; }

    public static FlattenedDeviceTree Parse(ReadOnlySpan<byte> bytes)
    {
        byte[] blob = bytes.ToArray();
        if (blob.Length < HeaderSize)
            throw new DeviceTreeException($"dtb: {blob.Length} bytes is shorter than the {HeaderSize}-byte header");
        uint U32(int at) => BinaryPrimitives.ReadUInt32BigEndian(blob.AsSpan(at));
        if (U32(0) != Magic)
            throw new DeviceTreeException($"dtb: magic 0x{U32(0):x8} is not 0x{Magic:x8}: not a flattened device tree");
        uint total = U32(4), structOff = U32(8), stringsOff = U32(12), rsvOff = U32(16), version = U32(20), lastCompatible = U32(24),
            bootCpu = U32(28), stringsSize = U32(32), structSize = U32(36);
        if (total > blob.Length)
            throw new DeviceTreeException($"dtb: the header says {total} bytes, the blob has {blob.Length}");
        if (lastCompatible > 17 || version < 16)
            throw new DeviceTreeException($"dtb: version {version} (compatible with {lastCompatible}) is not one this reader knows (16, 17)");
        if (version < 17)
            structSize = total - Math.Min(total, structOff); // version 16 has no size_dt_struct
        CheckBlock("structure", structOff, structSize, total, 4);
        CheckBlock("strings", stringsOff, stringsSize, total, 1);
        CheckBlock("memory reservation", rsvOff, 16, total, 8);
        var region = blob.AsSpan(0, (int)total);

        var reserved = new List<(ulong, ulong)>();
        for (long at = rsvOff; ; at += 16)
        {
            if (at + 16 > total)
                throw new DeviceTreeException($"dtb: the memory reservation block runs past the end at offset {at} (no terminating entry)");
            ulong address = BinaryPrimitives.ReadUInt64BigEndian(region[(int)at..]), size = BinaryPrimitives.ReadUInt64BigEndian(region[(int)(at + 8)..]);
            if (address == 0 && size == 0)
                break;
            reserved.Add((address, size));
        }

        var structureArray = blob[(int)structOff..(int)(structOff + structSize)];
        var structure = structureArray.AsSpan();
        var strings = region.Slice((int)stringsOff, (int)stringsSize);
        int pos = 0;
        uint Token()
        {
            if (pos + 4 > structureArray.Length)
                throw new DeviceTreeException($"dtb: the structure block ends at offset {structOff + pos} inside a node (no END_NODE or END)");
            uint t = BinaryPrimitives.ReadUInt32BigEndian(structureArray.AsSpan(pos));
            pos += 4;
            return t;
        }

        uint first;
        while ((first = Token()) == Nop)
        {
        }
        if (first != BeginNode)
            throw new DeviceTreeException($"dtb: the structure block starts with token 0x{first:x} at offset {structOff}, not BEGIN_NODE");
        var stack = new Stack<DeviceTreeNode>();
        var root = OpenNode(structure, strings, ref pos, structOff, null);
        stack.Push(root);
        while (true)
        {
            int at = pos;
            uint token = Token();
            switch (token)
            {
                case Nop:
                    continue;
                case BeginNode:
                    if (stack.Count >= MaxDepth)
                        throw new DeviceTreeException($"dtb: nodes nest deeper than {MaxDepth} at offset {structOff + at}");
                    var child = OpenNode(structure, strings, ref pos, structOff, stack.Peek());
                    stack.Peek().AddChild(child, structOff + at);
                    stack.Push(child);
                    continue;
                case Prop:
                {
                    uint length = Token(), nameOff = Token();
                    if (length > structure.Length - pos)
                        throw new DeviceTreeException($"dtb: a property at offset {structOff + at} is {length} bytes long, past the structure block");
                    string name = StringAt(strings, nameOff, stringsOff, structOff + at);
                    var value = structure.Slice(pos, (int)length).ToArray();
                    pos += Align4((int)length);
                    if (pos > structure.Length)
                        throw new DeviceTreeException($"dtb: a property's padding at offset {structOff + at} runs past the structure block");
                    if (stack.Peek().Children.Count > 0)
                        throw new DeviceTreeException($"dtb: property {name} of {stack.Peek().Path} at offset {structOff + at} comes after a child node");
                    stack.Peek().AddProperty(new DeviceTreeProperty(name, value), structOff + at);
                    continue;
                }
                case EndNode:
                    stack.Pop();
                    if (stack.Count == 0)
                    {
                        while ((token = Token()) == Nop)
                        {
                        }
                        if (token != End)
                            throw new DeviceTreeException($"dtb: token 0x{token:x} after the root node closed at offset {structOff + pos - 4}, expected END");
                        return new FlattenedDeviceTree(root, reserved, version, bootCpu);
                    }
                    continue;
                case End:
                    throw new DeviceTreeException($"dtb: END at offset {structOff + at} while {stack.Count} node(s) are open ({stack.Peek().Path})");
                default:
                    throw new DeviceTreeException($"dtb: unknown token 0x{token:x} at offset {structOff + at}");
            }
        }
    }

    /// <summary>A node by its full path ("/soc/ethernet@fe2a0000") or an alias, optionally followed by a path below it ("ethernet0").</summary>
    public DeviceTreeNode? Find(string path)
    {
        DeviceTreeNode? node;
        string rest;
        if (path.StartsWith('/'))
        {
            node = Root;
            rest = path[1..];
        }
        else
        {
            int slash = path.IndexOf('/');
            string alias = slash < 0 ? path : path[..slash];
            if (Alias(alias) is not { } target || !target.StartsWith('/') || target == path)
                return null;
            node = Find(target);
            rest = slash < 0 ? "" : path[(slash + 1)..];
        }
        foreach (var part in rest.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            // A name without a unit address matches a child of that name with any address (as of_find_node_by_path).
            node = node?.Children.FirstOrDefault(c => c.FullName == part) ?? node?.Children.FirstOrDefault(c => c.Name == part && !part.Contains('@'));
            if (node is null)
                return null;
        }
        return node;
    }

    public DeviceTreeNode? ByPhandle(uint phandle) => byPhandle.GetValueOrDefault(phandle);

    /// <summary>The path an alias names (a property of /aliases), or null.</summary>
    public string? Alias(string name) => Root.Child("aliases")?.Property(name)?.AsString();

    /// <summary>of_alias_get_id: N when an alias STEM followed by N (ethernet0) names <paramref name="node"/>, else null.</summary>
    public int? AliasId(DeviceTreeNode node, string stem)
    {
        if (Root.Child("aliases") is not { } aliases)
            return null;
        foreach (var p in aliases.Properties)
            if (AliasNumber(p.Name, stem) is { } id && p.AsString() is { } target && Find(target) == node)
                return id;
        return null;
    }

    /// <summary>of_alias_get_highest_id: the largest N of the aliases STEM N, or null when there is none.</summary>
    public int? HighestAliasId(string stem) => Root.Child("aliases")?.Properties.Select(p => AliasNumber(p.Name, stem)).Max();

    /// <summary>N of an alias named STEM N (ethernet0), else null.</summary>
    private static int? AliasNumber(string alias, string stem) =>
        alias.StartsWith(stem, StringComparison.Ordinal) && alias.Length > stem.Length
        && int.TryParse(alias.AsSpan(stem.Length), System.Globalization.NumberStyles.None, null, out int id) ? id : null;

    /// <summary>Every available node whose compatible list holds <paramref name="compatible"/>, in tree order.</summary>
    public IEnumerable<DeviceTreeNode> Compatible(string compatible) =>
        Root.SelfAndDescendants().Where(n => n.IsAvailable && n.Compatible.Contains(compatible, StringComparer.Ordinal));

    private static DeviceTreeNode OpenNode(ReadOnlySpan<byte> structure, ReadOnlySpan<byte> strings, ref int pos, uint structOff, DeviceTreeNode? parent)
    {
        int start = pos;
        int nul = structure[pos..].IndexOf((byte)0);
        if (nul < 0)
            throw new DeviceTreeException($"dtb: a node name at offset {structOff + start} has no terminating NUL");
        string name = Encoding.ASCII.GetString(structure.Slice(pos, nul));
        if (parent is not null && name.Length == 0)
            throw new DeviceTreeException($"dtb: a node at offset {structOff + start - 4} below {parent.Path} has no name");
        if (name.Any(c => c is < ' ' or > '~' or '/'))
            throw new DeviceTreeException($"dtb: the node name at offset {structOff + start} holds a character a node name may not");
        pos += Align4(nul + 1);
        if (pos > structure.Length)
            throw new DeviceTreeException($"dtb: a node name's padding at offset {structOff + start} runs past the structure block");
        return new DeviceTreeNode(name, parent);
    }

    private static string StringAt(ReadOnlySpan<byte> strings, uint offset, uint stringsOff, long propAt)
    {
        if (offset >= strings.Length)
            throw new DeviceTreeException($"dtb: the property at offset {propAt} names string {offset}, past the strings block ({strings.Length} bytes)");
        int nul = strings[(int)offset..].IndexOf((byte)0);
        if (nul <= 0)
            throw new DeviceTreeException(nul < 0
                ? $"dtb: the property name at strings offset {stringsOff + offset} has no terminating NUL"
                : $"dtb: the property at offset {propAt} has an empty name");
        string name = Encoding.ASCII.GetString(strings.Slice((int)offset, nul));
        if (name.Any(c => c is <= ' ' or > '~'))
            throw new DeviceTreeException($"dtb: the property name at strings offset {stringsOff + offset} holds a character a property name may not");
        return name;
    }

    private static void CheckBlock(string what, uint offset, uint size, uint total, int alignment)
    {
        if ((ulong)offset + size > total)
            throw new DeviceTreeException($"dtb: the {what} block ({size} bytes at offset {offset}) runs past the blob's {total} bytes");
        if (offset % alignment != 0)
            throw new DeviceTreeException($"dtb: the {what} block's offset {offset} is not {alignment}-byte aligned");
        if (offset < HeaderSize)
            throw new DeviceTreeException($"dtb: the {what} block's offset {offset} is inside the header");
    }

    private static int Align4(int n) => (n + 3) & ~3;
}

/// <summary>A property: its name and raw (big-endian) value.</summary>
public sealed record DeviceTreeProperty(string Name, byte[] Value)
{
    /// <summary>The value's 32-bit cells, or null when its length is not a multiple of 4.</summary>
    public uint[]? Cells()
    {
        if (Value.Length % 4 != 0)
            return null;
        var cells = new uint[Value.Length / 4];
        for (int i = 0; i < cells.Length; i++)
            cells[i] = BinaryPrimitives.ReadUInt32BigEndian(Value.AsSpan(i * 4));
        return cells;
    }

    /// <summary>The value as a list of NUL-terminated strings, or null when it is not one.</summary>
    public IReadOnlyList<string>? Strings()
    {
        if (Value.Length == 0 || Value[^1] != 0)
            return null;
        var list = new List<string>();
        int start = 0;
        for (int i = 0; i < Value.Length; i++)
        {
            if (Value[i] == 0)
            {
                list.Add(Encoding.ASCII.GetString(Value, start, i - start));
                start = i + 1;
            }
        }
        return list;
    }

    /// <summary>The first string of the value, or null when it is not a string.</summary>
    public string? AsString() => Strings()?[0];
}

public sealed class DeviceTreeNode
{
    private readonly List<DeviceTreeNode> children = [];
    private readonly List<DeviceTreeProperty> properties = [];

    internal DeviceTreeNode(string fullName, DeviceTreeNode? parent)
    {
        FullName = fullName;
        Parent = parent;
    }

    /// <summary>The name with its unit address ("ethernet@fe2a0000"); "" for the root.</summary>
    public string FullName { get; }

    /// <summary>The name without its unit address ("ethernet").</summary>
    public string Name => FullName.Split('@', 2)[0];

    /// <summary>The unit address ("fe2a0000"), or null.</summary>
    public string? UnitAddress => FullName.Contains('@') ? FullName.Split('@', 2)[1] : null;

    public DeviceTreeNode? Parent { get; }

    public string Path => Parent is null ? "/" : Parent.Parent is null ? "/" + FullName : Parent.Path + "/" + FullName;

    public IReadOnlyList<DeviceTreeNode> Children => children;

    public IReadOnlyList<DeviceTreeProperty> Properties => properties;

    public DeviceTreeProperty? Property(string name) => properties.FirstOrDefault(p => p.Name == name);

    /// <summary>The first child named <paramref name="name"/> (with or without its unit address), as of_get_child_by_name.</summary>
    public DeviceTreeNode? Child(string name) => children.FirstOrDefault(c => c.Name == name || c.FullName == name);

    /// <summary>The compatible strings, most specific first (none when absent).</summary>
    public IReadOnlyList<string> Compatible => Property("compatible")?.Strings() ?? [];

    /// <summary>Its phandle ("phandle", or the older "linux,phandle"), or null.</summary>
    public uint? Phandle => (Property("phandle") ?? Property("linux,phandle"))?.Cells() is [var p] ? p : null;

    /// <summary>"status" absent, "okay" or "ok": the device is there (of_device_is_available).</summary>
    public bool IsAvailable => Property("status")?.AsString() is null or "okay" or "ok";

    /// <summary>#address-cells for this node's children (2 when absent, as the specification says).</summary>
    public uint AddressCells => Property("#address-cells")?.Cells() is [var n] ? n : 2;

    /// <summary>#size-cells for this node's children (1 when absent).</summary>
    public uint SizeCells => Property("#size-cells")?.Cells() is [var n] ? n : 1;

    /// <summary>"reg" read with the parent's cell counts: (address, size) pairs; null when absent or malformed.</summary>
    public IReadOnlyList<(ulong Address, ulong Size)>? Reg()
    {
        uint a = Parent?.AddressCells ?? 2, s = Parent?.SizeCells ?? 1;
        if (Property("reg")?.Cells() is not { } cells || a is 0 or > 2 || s > 2 || cells.Length % (a + s) != 0)
            return null;
        var list = new List<(ulong, ulong)>();
        for (int i = 0; i < cells.Length; i += (int)(a + s))
        {
            ulong address = 0, size = 0;
            for (int j = 0; j < a; j++)
                address = (address << 32) | cells[i + j];
            for (int j = 0; j < s; j++)
                size = (size << 32) | cells[i + (int)a + j];
            list.Add((address, size));
        }
        return list;
    }

    public IEnumerable<DeviceTreeNode> SelfAndDescendants()
    {
        var pending = new Stack<DeviceTreeNode>();
        pending.Push(this);
        while (pending.Count > 0)
        {
            var n = pending.Pop();
            yield return n;
            for (int i = n.children.Count - 1; i >= 0; i--)
                pending.Push(n.children[i]);
        }
    }

    public override string ToString() => Path;

    internal void AddChild(DeviceTreeNode child, long at)
    {
        if (children.Any(c => c.FullName == child.FullName))
            throw new DeviceTreeException($"dtb: {Path} has two children named {child.FullName} (the second at offset {at})");
        children.Add(child);
    }

    internal void AddProperty(DeviceTreeProperty property, long at)
    {
        if (properties.Any(p => p.Name == property.Name))
            throw new DeviceTreeException($"dtb: {Path} has property {property.Name} twice (the second at offset {at})");
        properties.Add(property);
    }
}
