// SPDX-License-Identifier: MIT
// Tests of loading a layout file (issue 17): the port build's file, read back through the one record type the
// writer serialised (LayoutFile), resolves every declared field; a field whose size in the file is not the
// width the shim declares it with (StructField<uint>), or a bit-field where a value is read or the reverse,
// fails the load naming the struct.field, the kernel's size and the shim's type.
using LinuxShim.Shim.Layout;

namespace LinuxShim.Shim.Tests.Layout;

[Collection(KernelCollection.Name)]
public sealed class LayoutLoadTests(KernelFixture kernel) : IDisposable
{
    private readonly TempDirectory work = new();

    private string Real => Path.ChangeExtension(BuiltPorts.Library(kernel, "8139too"), null) + ".layout.json";

    public void Dispose()
    {
        KernelLayout.Load(Real); // the registry is the process's: leave it as the port build's file sets it
        work.Dispose();
    }

    /// <summary>The port build's layout file with <paramref name="edit"/> applied, written to a file of its own.</summary>
    private string Edited(Func<LayoutFile, LayoutFile> edit)
    {
        string file = work.Combine("edited.layout.json");
        File.WriteAllText(file, edit(LayoutFile.Read(Real)).ToJson());
        return file;
    }

    private static LayoutFile WithField(LayoutFile layout, string structName, string path, Func<LaidOutField, LaidOutField> change)
    {
        var fields = layout.Structs[structName].Fields;
        fields[path] = change(fields[path]);
        return layout;
    }

    [Fact]
    public void ThePortBuildsFileLoadsAndRoundTrips()
    {
        KernelLayout.Load(Real);
        var layout = LayoutFile.Read(Real);
        Assert.Equal(4, layout.Structs["net_device"].Fields["mtu"].Size);
        Assert.Equal(layout.Structs["net_device"].Fields["mtu"].OffsetBits / 8, NetDevLayout.Mtu.Offset);
        Assert.Equal(File.ReadAllText(Real), layout.ToJson());
        // priv_flags, an integer in 6.1 and a 32-bit bit-field in 6.12, is read as its low 32 bits on both.
        Assert.Equal(32, NetDevLayout.PrivFlags.BitWidth);
        Assert.Equal(layout.Structs["net_device"].Fields["priv_flags"].OffsetBits, NetDevLayout.PrivFlags.Offset * 8 + NetDevLayout.PrivFlags.BitOffset);
    }

    [Fact]
    public void AFieldOfAnotherWidthFailsTheLoadNamingBothSides()
    {
        string file = Edited(l => WithField(l, "net_device", "mtu", f => f with { Size = 2 }));
        var e = Assert.Throws<InvalidDataException>(() => KernelLayout.Load(file));
        Assert.Contains("the shim declares 1 field(s) with a width this kernel does not give them", e.Message);
        Assert.Contains("struct net_device.mtu is 2 bytes in this kernel, but the shim reads it as UInt32 (4 bytes)", e.Message);
    }

    [Fact]
    public void ABitFieldWhereAValueIsReadAndTheReverseOrANarrowerOneFailTheLoad()
    {
        string file = Edited(l => WithField(WithField(WithField(l, "net_device", "addr_len", f => f with { BitWidth = 3 }),
            "sk_buff", "head_frag", f => f with { BitWidth = 0, Size = 1 }), "net_device", "priv_flags", f => f with { BitWidth = 16 }));
        var e = Assert.Throws<InvalidDataException>(() => KernelLayout.Load(file));
        Assert.Contains("the shim declares 3 field(s)", e.Message);
        Assert.Contains("struct net_device.priv_flags is a 16-bit bit-field in this kernel, but the shim reads its low 32 bits", e.Message);
        Assert.Contains("struct net_device.addr_len is a 3-bit bit-field, but the shim reads it as Byte (1 bytes)", e.Message);
        Assert.Contains("struct sk_buff.head_frag is no bit-field in this kernel (1 bytes), but the shim reads it as one", e.Message);
    }
}
