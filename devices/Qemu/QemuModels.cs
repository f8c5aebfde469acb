// SPDX-License-Identifier: MIT
// Managed side. QEMU's PCI NIC models LinuxShim offers (`device qemu:MODEL`), which port drives each,
// and their PCI identity as QEMU itself reports it (read from a running device server, not a table).
using LinuxShim.Devices.Pci;
using LinuxShim.VfioUser;

namespace LinuxShim.Devices.Qemu;

/// <summary>A QEMU NIC model: its -device name, what it is, and the LinuxShim port that drives it (null: none yet).</summary>
public sealed record QemuModel(string Name, string Description, string? Port);

public static class QemuModels
{
    /// <summary>The PCI NIC models of Debian 12's qemu-system-x86 (7.2) that serve over x-remote.</summary>
    public static readonly IReadOnlyList<QemuModel> All =
    [
        new("e1000", "Intel 82540EM Gigabit Ethernet", "ports/e1000"),
        new("e1000-82544gc", "Intel 82544GC Gigabit Ethernet", "ports/e1000"),
        new("e1000-82545em", "Intel 82545EM Gigabit Ethernet", "ports/e1000"),
        new("rtl8139", "Realtek RTL8139C+ Fast Ethernet", "ports/8139cp"),
        new("e1000e", "Intel 82574L Gigabit Ethernet", "ports/e1000e"),
        new("pcnet", "AMD PCnet-PCI II (Am79C970A)", "ports/pcnet32"),
        new("ne2k_pci", "Realtek RTL8029 (NE2000 PCI)", "ports/ne2k-pci"),
        new("tulip", "DEC 21143 Tulip", "ports/tulip"),
        new("i82559er", "Intel 82559ER Fast Ethernet", "ports/e100"),
        new("vmxnet3", "VMware vmxnet3", "ports/vmxnet3"),
        new("virtio-net-pci", "virtio network device", "ports/virtio_net"),
    ];

    /// <summary>The QEMU binary models run in ($LINUXSHIM_QEMU, else qemu-system-x86_64 on PATH); null when there is none.</summary>
    public static string? Executable => QemuProcess.FindExecutable();

    /// <summary>Starts <paramref name="model"/> in QEMU and reads its identity from configuration space.</summary>
    public static PciIdentity ReadIdentity(string model)
    {
        using var nic = new QemuNic(model, MacAddress.Default, _ => { });
        var identity = Identity(nic);
        if (nic.Fault is { } fault)
            throw new IOException(fault.Message, fault);
        return identity;
    }

    /// <summary>The identity in <paramref name="device"/>'s configuration space.</summary>
    public static PciIdentity Identity(VfioUser.IVfioDevice device)
    {
        Span<byte> c = stackalloc byte[48];
        device.ReadRegion(LinuxShim.VfioUser.VfioAbi.RegionConfig, 0, c);
        static ushort Word(ReadOnlySpan<byte> b, int at) => (ushort)(b[at] | b[at + 1] << 8);
        return new PciIdentity(Word(c, 0), Word(c, 2), c[8], (uint)(c[9] | c[10] << 8 | c[11] << 16), Word(c, 0x2C), Word(c, 0x2E));
    }
}
