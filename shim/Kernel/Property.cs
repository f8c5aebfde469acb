// SPDX-License-Identifier: MIT
// Managed side. The unified device property API (drivers/base/property.c): fwnode_* over a firmware node and
// device_* over a device's (dev_fwnode()). Linux calls through fwnode->ops for every node; a node of the device
// tree (OpenFirmware) is answered here directly with the rules of drivers/of/property.c's of_fwnode_ops, and any
// other node goes through its ops as Linux does (none exists here but those a driver makes itself). The
// secondary node is asked when the primary says -EINVAL, as property.c does. No ACPI namespace and no software
// nodes are offered to a driver host, so a device without a device-tree node has no properties.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using LinuxShim.Shim.Layout;
using static LinuxShim.Shim.Kernel.OpenFirmware;

namespace LinuxShim.Shim.Kernel;

public static unsafe class Property
{
    private static bool ErrOrNull(nint p) => p == 0 || (ulong)p >= unchecked((ulong)-4095L);

    /// <summary>An op of a node that is not the device tree's, or 0 (fwnode_has_op()).</summary>
    private static nint Op(nint fwnode, StructField<nint> op)
    {
        if (ErrOrNull(fwnode))
            return 0;
        nint ops = fwnode.Ptr(FwnodeLayout.Ops);
        return ops == 0 ? 0 : ops.Ptr(op);
    }

    // ---- Presence and integers.

    internal static bool Present(nint fwnode, nint name)
    {
        if (ErrOrNull(fwnode))
            return false;
        if (PresentOne(fwnode, name))
            return true;
        return PresentOne(fwnode.Ptr(FwnodeLayout.Secondary), name);
    }

    private static bool PresentOne(nint fwnode, nint name)
    {
        if (OfNode(fwnode) is var np and not 0)
            return FindProperty(np, name) != 0; // of_fwnode_property_present(): of_property_read_bool()
        nint op = Op(fwnode, FwnodeLayout.OpPropertyPresent);
        return op != 0 && ((delegate* unmanaged[Cdecl]<nint, nint, byte>)op)(fwnode, name) != 0;
    }

    /// <summary>fwnode_property_read_int_array(): NULL <paramref name="val"/> counts the elements; else exactly
    /// <paramref name="nval"/> of them are read (a longer value is fine, a shorter one -EOVERFLOW).</summary>
    internal static int ReadIntArray(nint fwnode, nint name, int elemSize, nint val, nuint nval)
    {
        if (ErrOrNull(fwnode))
            return -EInval;
        int rc = ReadIntArrayOne(fwnode, name, elemSize, val, nval);
        if (rc != -EInval)
            return rc;
        return ReadIntArrayOne(fwnode.Ptr(FwnodeLayout.Secondary), name, elemSize, val, nval);
    }

    private static int ReadIntArrayOne(nint fwnode, nint name, int elemSize, nint val, nuint nval)
    {
        if (ErrOrNull(fwnode))
            return -EInval;
        if (OfNode(fwnode) is var np and not 0)
        {
            // of_fwnode_property_read_int_array(): of_property_count_elems_of_size(), or of_property_read_uN_array().
            if (val == 0)
                return CountElements(np, name, elemSize);
            if (elemSize is not (1 or 2 or 4 or 8))
                return -ENxio;
            int n = ReadArray(np, name, val, elemSize, nval, 0);
            return n >= 0 ? 0 : n;
        }
        nint op = Op(fwnode, FwnodeLayout.OpPropertyReadIntArray);
        return op == 0 ? -ENxio : ((delegate* unmanaged[Cdecl]<nint, nint, uint, nint, nuint, int>)op)(fwnode, name, (uint)elemSize, val, nval);
    }

    // ---- Strings.

    /// <summary>fwnode_property_read_string_array(): NULL <paramref name="val"/> counts the strings; else up to
    /// <paramref name="nval"/> into it, answering how many.</summary>
    internal static int ReadStringArray(nint fwnode, nint name, nint* val, nuint nval)
    {
        if (ErrOrNull(fwnode))
            return -EInval;
        int rc = ReadStringArrayOne(fwnode, name, val, nval);
        if (rc != -EInval)
            return rc;
        return ReadStringArrayOne(fwnode.Ptr(FwnodeLayout.Secondary), name, val, nval);
    }

    private static int ReadStringArrayOne(nint fwnode, nint name, nint* val, nuint nval)
    {
        if (ErrOrNull(fwnode))
            return -EInval;
        if (OfNode(fwnode) is var np and not 0)
            return val != null ? ReadStringHelper(np, name, val, nval, 0) : ReadStringHelper(np, name, null, 0, 0);
        nint op = Op(fwnode, FwnodeLayout.OpPropertyReadStringArray);
        return op == 0 ? -ENxio : ((delegate* unmanaged[Cdecl]<nint, nint, nint*, nuint, int>)op)(fwnode, name, val, nval);
    }

    internal static int ReadString(nint fwnode, nint name, nint* val)
    {
        int rc = ReadStringArray(fwnode, name, val, 1);
        return rc < 0 ? rc : 0;
    }

    /// <summary>fwnode_property_match_string(): the index of <paramref name="str"/> in the string list; -ENODATA when
    /// it is not there or the list is empty, else the error reading the list gave.</summary>
    internal static int MatchString(nint fwnode, nint name, nint str)
    {
        int n = ReadStringArray(fwnode, name, null, 0);
        if (n < 0)
            return n;
        if (n == 0)
            return -ENoData;
        var values = new nint[n];
        fixed (nint* v = values)
        {
            int rc = ReadStringArray(fwnode, name, v, (nuint)n);
            if (rc < 0)
                return rc;
        }
        var want = MemoryMarshal.CreateReadOnlySpanFromNullTerminated((byte*)str);
        for (int i = 0; i < n; i++)
            if (values[i] != 0 && MemoryMarshal.CreateReadOnlySpanFromNullTerminated((byte*)values[i]).SequenceEqual(want))
                return i;
        return -ENoData;
    }

    // ---- References and children.

    /// <summary>
    /// fwnode_property_get_reference_args(): entry <paramref name="index"/> of a reference list, with the count of
    /// arguments the target's <paramref name="nargsProp"/> says, else <paramref name="nargs"/>; args may be NULL.
    /// -ENOENT for no node, no such list or entry; -EINVAL for a malformed list.
    /// </summary>
    internal static int ReferenceArgs(nint fwnode, nint prop, nint nargsProp, uint nargs, uint index, nint args)
    {
        if (ErrOrNull(fwnode))
            return -ENoEnt;
        int rc = ReferenceArgsOne(fwnode, prop, nargsProp, nargs, index, args);
        if (rc == 0 || ErrOrNull(fwnode.Ptr(FwnodeLayout.Secondary)))
            return rc;
        return ReferenceArgsOne(fwnode.Ptr(FwnodeLayout.Secondary), prop, nargsProp, nargs, index, args);
    }

    private static int ReferenceArgsOne(nint fwnode, nint prop, nint nargsProp, uint nargs, uint index, nint args)
    {
        if (OfNode(fwnode) is var np and not 0)
        {
            // of_fwnode_get_reference_args(): of_parse_phandle_with_args() (a cell count of -1: the target's
            // property must say) or of_parse_phandle_with_fixed_args().
            Span<uint> found = stackalloc uint[OfLayout.MaxPhandleArgs];
            int rc = ParsePhandle(np, prop, nargsProp, nargsProp != 0 ? -1 : (int)nargs, (int)index, out nint target, found, out int count, out _);
            if (rc < 0 || args == 0)
                return rc;
            args.Ptr(FwnodeLayout.RefArgsFwnode, Fwnode(target));
            args.U32(FwnodeLayout.RefArgsCount, (uint)count);
            ulong* a = (ulong*)args.At(FwnodeLayout.RefArgsArgs);
            for (int i = 0; i < FwnodeLayout.MaxReferenceArgs; i++)
                a[i] = i < count ? found[i] : 0;
            return 0;
        }
        nint op = Op(fwnode, FwnodeLayout.OpGetReferenceArgs);
        return op == 0 ? ErrOrNull(fwnode) ? -EInval : -ENxio
            : ((delegate* unmanaged[Cdecl]<nint, nint, nint, uint, uint, nint, int>)op)(fwnode, prop, nargsProp, nargs, index, args);
    }

    /// <summary>fwnode_get_named_child_node(): the first available child of that name (of_fwnode_get_named_child_node()).</summary>
    internal static nint NamedChild(nint fwnode, nint childName)
    {
        if (OfNode(fwnode) is var np and not 0)
            return Fwnode(ChildByName(np, childName, availableOnly: true));
        nint op = Op(fwnode, FwnodeLayout.OpGetNamedChildNode);
        return op == 0 ? 0 : ((delegate* unmanaged[Cdecl]<nint, nint, nint>)op)(fwnode, childName);
    }

    /// <summary>fwnode_get_next_child_node(): the device tree's are its available children (of_get_next_available_child()).</summary>
    internal static nint NextChild(nint fwnode, nint child)
    {
        if (OfNode(fwnode) is var np and not 0)
            return Fwnode(NextChildNode(np, OfNode(child)));
        return 0;
    }

    private static nint NextChildNode(nint np, nint prev)
    {
        for (nint next = prev != 0 ? prev.Ptr(OfLayout.NodeSibling) : np.Ptr(OfLayout.NodeChild); next != 0; next = next.Ptr(OfLayout.NodeSibling))
            if (IsAvailable(next))
                return next;
        return 0;
    }

    internal static bool DeviceIsAvailable(nint fwnode)
    {
        if (OfNode(fwnode) is var np and not 0)
            return IsAvailable(np);
        nint op = Op(fwnode, FwnodeLayout.OpDeviceIsAvailable);
        return op == 0 || ((delegate* unmanaged[Cdecl]<nint, byte>)op)(fwnode) != 0; // no op: available
    }

    // ---- Kernel symbols: fwnode_*.

    [KernelSymbol("fwnode_property_present"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static byte FwnodePropertyPresent(nint fwnode, nint name) => (byte)(Present(fwnode, name) ? 1 : 0);

    [KernelSymbol("fwnode_property_read_u8_array"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int FwnodePropertyReadU8Array(nint fwnode, nint name, nint val, nuint nval) => ReadIntArray(fwnode, name, 1, val, nval);

    [KernelSymbol("fwnode_property_read_u16_array"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int FwnodePropertyReadU16Array(nint fwnode, nint name, nint val, nuint nval) => ReadIntArray(fwnode, name, 2, val, nval);

    [KernelSymbol("fwnode_property_read_u32_array"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int FwnodePropertyReadU32Array(nint fwnode, nint name, nint val, nuint nval) => ReadIntArray(fwnode, name, 4, val, nval);

    [KernelSymbol("fwnode_property_read_u64_array"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int FwnodePropertyReadU64Array(nint fwnode, nint name, nint val, nuint nval) => ReadIntArray(fwnode, name, 8, val, nval);

    [KernelSymbol("fwnode_property_read_string_array"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int FwnodePropertyReadStringArray(nint fwnode, nint name, nint* val, nuint nval) => ReadStringArray(fwnode, name, val, nval);

    [KernelSymbol("fwnode_property_read_string"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int FwnodePropertyReadString(nint fwnode, nint name, nint* val) => ReadString(fwnode, name, val);

    [KernelSymbol("fwnode_property_match_string"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int FwnodePropertyMatchString(nint fwnode, nint name, nint str) => MatchString(fwnode, name, str);

    [KernelSymbol("fwnode_property_get_reference_args"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int FwnodePropertyGetReferenceArgs(nint fwnode, nint prop, nint nargsProp, uint nargs, uint index, nint args) =>
        ReferenceArgs(fwnode, prop, nargsProp, nargs, index, args);

    /// <summary>fwnode_find_reference(): the node entry <paramref name="index"/> of a reference list names (no
    /// arguments), or ERR_PTR() of the error.</summary>
    [KernelSymbol("fwnode_find_reference"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint FwnodeFindReference(nint fwnode, nint name, uint index)
    {
        byte* args = stackalloc byte[FwnodeLayout.RefArgsSize.Size];
        int rc = ReferenceArgs(fwnode, name, 0, 0, index, (nint)args);
        return rc != 0 ? rc : ((nint)args).Ptr(FwnodeLayout.RefArgsFwnode);
    }

    [KernelSymbol("fwnode_get_named_child_node"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint FwnodeGetNamedChildNode(nint fwnode, nint childName) => NamedChild(fwnode, childName);

    [KernelSymbol("fwnode_get_next_child_node"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint FwnodeGetNextChildNode(nint fwnode, nint child) => NextChild(fwnode, child);

    /// <summary>fwnode_get_next_available_child_node(): the next child for which fwnode_device_is_available() holds.</summary>
    [KernelSymbol("fwnode_get_next_available_child_node"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint FwnodeGetNextAvailableChildNode(nint fwnode, nint child)
    {
        nint next = child;
        do
            next = NextChild(fwnode, next);
        while (next != 0 && !DeviceIsAvailable(next));
        return next;
    }

    [KernelSymbol("fwnode_get_parent"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint FwnodeGetParent(nint fwnode) => OfNode(fwnode) is var np and not 0 ? Fwnode(np.Ptr(OfLayout.NodeParent)) : 0;

    /// <summary>fwnode_get_name(): a device-tree node's full_name's last component (with its unit address).</summary>
    [KernelSymbol("fwnode_get_name"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint FwnodeGetName(nint fwnode)
    {
        if (OfNode(fwnode) is not (var np and not 0))
            return 0;
        nint full = np.Ptr(OfLayout.NodeFullName);
        var s = MemoryMarshal.CreateReadOnlySpanFromNullTerminated((byte*)full);
        return full + s.LastIndexOf((byte)'/') + 1; // kbasename()
    }

    /// <summary>fwnode_handle_get(): a device-tree node is never freed (of_node_get() is a no-op): the node itself.</summary>
    [KernelSymbol("fwnode_handle_get"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint FwnodeHandleGet(nint fwnode)
    {
        nint op = OfNode(fwnode) != 0 ? 0 : Op(fwnode, FwnodeLayout.OpGet);
        return op == 0 ? fwnode : ((delegate* unmanaged[Cdecl]<nint, nint>)op)(fwnode);
    }

    /// <summary>fwnode_handle_put() (exported in 6.1, inline in 6.12): of_node_put(), a no-op here.</summary>
    [KernelSymbol("fwnode_handle_put"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static void FwnodeHandlePut(nint fwnode)
    {
        nint op = OfNode(fwnode) != 0 ? 0 : Op(fwnode, FwnodeLayout.OpPut);
        if (op != 0)
            ((delegate* unmanaged[Cdecl]<nint, void>)op)(fwnode);
    }

    [KernelSymbol("fwnode_device_is_available"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static byte FwnodeDeviceIsAvailable(nint fwnode) => (byte)(DeviceIsAvailable(fwnode) ? 1 : 0);

    /// <summary>
    /// fwnode_irq_get(): interrupts are not mapped from the device tree here (a platform device's come from its
    /// platform resources, Platform.cs), so every node answers as Linux does for a node it cannot map: -EINVAL
    /// (fwnode_irq_get() turns a failed mapping into it). fwnode_mdio then leaves the PHY polled.
    /// </summary>
    [KernelSymbol("fwnode_irq_get"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int FwnodeIrqGet(nint fwnode, uint index) => -EInval;

    // ---- Kernel symbols: device_* (the device's node, dev_fwnode()).

    [KernelSymbol("device_property_present"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static byte DevicePropertyPresent(nint dev, nint name) => (byte)(Present(DeviceFwnode(dev), name) ? 1 : 0);

    [KernelSymbol("device_property_read_u8_array"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int DevicePropertyReadU8Array(nint dev, nint name, nint val, nuint nval) => ReadIntArray(DeviceFwnode(dev), name, 1, val, nval);

    [KernelSymbol("device_property_read_u16_array"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int DevicePropertyReadU16Array(nint dev, nint name, nint val, nuint nval) => ReadIntArray(DeviceFwnode(dev), name, 2, val, nval);

    [KernelSymbol("device_property_read_u32_array"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int DevicePropertyReadU32Array(nint dev, nint name, nint val, nuint nval) => ReadIntArray(DeviceFwnode(dev), name, 4, val, nval);

    [KernelSymbol("device_property_read_u64_array"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int DevicePropertyReadU64Array(nint dev, nint name, nint val, nuint nval) => ReadIntArray(DeviceFwnode(dev), name, 8, val, nval);

    [KernelSymbol("device_property_read_string_array"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int DevicePropertyReadStringArray(nint dev, nint name, nint* val, nuint nval) => ReadStringArray(DeviceFwnode(dev), name, val, nval);

    [KernelSymbol("device_property_read_string"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int DevicePropertyReadString(nint dev, nint name, nint* val) => ReadString(DeviceFwnode(dev), name, val);

    [KernelSymbol("device_property_match_string"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int DevicePropertyMatchString(nint dev, nint name, nint str) => MatchString(DeviceFwnode(dev), name, str);

    [KernelSymbol("device_get_named_child_node"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint DeviceGetNamedChildNode(nint dev, nint childName) => NamedChild(DeviceFwnode(dev), childName);

    [KernelSymbol("device_get_next_child_node"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint DeviceGetNextChildNode(nint dev, nint child) => NextChild(DeviceFwnode(dev), child);

    [KernelSymbol("device_get_child_node_count"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static uint DeviceGetChildNodeCount(nint dev)
    {
        nint fwnode = DeviceFwnode(dev);
        uint count = 0;
        for (nint c = NextChild(fwnode, 0); c != 0; c = NextChild(fwnode, c))
            count++;
        return count;
    }

    /// <summary>device_get_match_data(): for a device-tree node, of_device_get_match_data() (the bound driver's
    /// of_match_table entry's data); NULL otherwise.</summary>
    [KernelSymbol("device_get_match_data"), UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static nint DeviceGetMatchData(nint dev) => OfNode(DeviceFwnode(dev)) != 0 ? MatchData(dev) : 0;
}
