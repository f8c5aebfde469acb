// SPDX-License-Identifier: MIT
// Managed side. The capabilities JSON of VFIO_USER_VERSION (docs/vfio-user.rst, "Version"): what each
// side can receive. Parsed strictly (UTF-8, NUL-terminated, an object whose "capabilities" member is an
// object, every known capability of its type and range); unknown capabilities are ignored, as the
// specification lets versions add them. Defaults are the specification's.
using System.Text;
using System.Text.Json;

namespace LinuxShim.VfioUser;

public sealed record VfioUserCapabilities
{
    /// <summary>The protocol version both sides speak: major 0, as libvfio-user and QEMU.</summary>
    public const ushort Major = 0, Minor = 1;

    /// <summary>Most descriptors the sender can receive in one message (default 1).</summary>
    public int MaxMsgFds { get; init; } = 1;

    /// <summary>Most bytes in one data transfer (region or DMA access) the sender accepts (default 1 MiB).</summary>
    public int MaxDataXferSize { get; init; } = 1 << 20;

    /// <summary>Most DMA windows at once (default 65535).</summary>
    public int MaxDmaMaps { get; init; } = 65535;

    /// <summary>Page sizes for DMA windows, or'ed (default 4 KiB).</summary>
    public ulong PgSizes { get; init; } = 4096;

    /// <summary>The capability names the sender gave (a reply may only name a subset of them).</summary>
    public IReadOnlySet<string> Named { get; init; } = new HashSet<string>();

    /// <summary>Whether twin_socket.supported was true.</summary>
    public bool TwinSocket { get; init; }

    /// <summary>
    /// LinuxShim's own capability, "linuxshim_synchronous_model" (unknown to other implementations, which ignore
    /// it): the device is a model written for a virtual machine's CPU, which stops at each register access until
    /// the model has handled it (QEMU's). Such a model gets none of PCI's posted writes and orders its own DMA
    /// only as far as that needs: a client that proposes true is answered true, and then waits for every
    /// register write and, before the CPU takes a streaming DMA buffer back, for the model's DMA in flight.
    /// </summary>
    public bool SynchronousModel { get; init; }

    /// <summary>The name of <see cref="SynchronousModel"/> in the JSON.</summary>
    public const string SynchronousModelName = "linuxshim_synchronous_model";

    /// <summary>
    /// LinuxShim's own capability, "linuxshim_repeated_access": the server takes REGION_READ_REPEAT and
    /// REGION_WRITE_REPEAT (VfioUserCommand), N accesses of one width to one register offset in one message,
    /// as a CPU's <c>rep ins</c>/<c>rep outs</c> makes them on a data port. A client that proposes true is
    /// answered true by a server that has them; a peer that does not name it (libvfio-user, an older server)
    /// gets one REGION_READ/WRITE per access.
    /// </summary>
    public bool RepeatedAccess { get; init; }

    /// <summary>The name of <see cref="RepeatedAccess"/> in the JSON.</summary>
    public const string RepeatedAccessName = "linuxshim_repeated_access";

    /// <summary>The specification's defaults (what an empty or capability-less VERSION means).</summary>
    public static VfioUserCapabilities Defaults { get; } = new();

    /// <summary>The smallest page size in <see cref="PgSizes"/>.</summary>
    public ulong SmallestPage => PgSizes & (~PgSizes + 1);

    /// <summary>What a client proposes: what it can receive, NUL-terminated JSON.</summary>
    public static byte[] ClientProposal(int maxMsgFds, int maxDataXferSize) =>
        Encoding.UTF8.GetBytes($"{{\"capabilities\":{{\"max_msg_fds\":{maxMsgFds},\"max_data_xfer_size\":{maxDataXferSize},\"{SynchronousModelName}\":true,\"{RepeatedAccessName}\":true}}}}\0");

    /// <summary>Like <see cref="Parse(ReadOnlySpan{byte}, out string?)"/>, but <see cref="InvalidDataException"/> naming what is wrong.</summary>
    public static VfioUserCapabilities Parse(ReadOnlySpan<byte> data) =>
        Parse(data, out string? error) ?? throw new InvalidDataException(error);

    /// <summary>Parses the version data (empty: every default); null and <paramref name="error"/> when it is malformed.</summary>
    public static VfioUserCapabilities? Parse(ReadOnlySpan<byte> data, out string? error)
    {
        error = null;
        if (data.IsEmpty)
            return new VfioUserCapabilities();
        if (data[^1] != 0)
        {
            error = "VERSION.json: not NUL-terminated";
            return null;
        }
        data = data[..^1];
        if (data.IndexOf((byte)0) >= 0)
        {
            error = "VERSION.json: a NUL inside the JSON";
            return null;
        }
        try
        {
            using var doc = JsonDocument.Parse(data.ToArray(), new JsonDocumentOptions { MaxDepth = 8, AllowDuplicateProperties = false });
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                return Fail(out error, $"VERSION.json: a JSON {doc.RootElement.ValueKind.ToString().ToLowerInvariant()}, not an object");
            var caps = new VfioUserCapabilities();
            foreach (var root in doc.RootElement.EnumerateObject())
            {
                if (root.Name != "capabilities")
                    continue; // members of a later version: ignored, as libvfio-user does
                if (root.Value.ValueKind != JsonValueKind.Object)
                    return Fail(out error, "VERSION.json.capabilities: not an object");
                var named = new HashSet<string>();
                foreach (var c in root.Value.EnumerateObject())
                {
                    string where = $"VERSION.json.capabilities.{Quote(c.Name)}";
                    if (!named.Add(c.Name))
                        return Fail(out error, $"{where}: given twice");
                    switch (c.Name)
                    {
                        case "max_msg_fds":
                            // Any count is valid; a message never carries more than SCM_RIGHTS allows (253).
                            if (c.Value.ValueKind != JsonValueKind.Number || !c.Value.TryGetInt64(out long fds) || fds < 0)
                                return Fail(out error, $"{where}: not a non-negative integer");
                            caps = caps with { MaxMsgFds = (int)Math.Min(fds, 253) };
                            break;
                        case "max_data_xfer_size":
                            // Any positive size; nothing here sends more than 1 GiB in one message.
                            if (c.Value.ValueKind != JsonValueKind.Number || !c.Value.TryGetInt64(out long xfer) || xfer < 1)
                                return Fail(out error, $"{where}: not a positive integer");
                            caps = caps with { MaxDataXferSize = (int)Math.Min(xfer, 1 << 30) };
                            break;
                        case "max_dma_maps":
                            if (c.Value.ValueKind != JsonValueKind.Number || !c.Value.TryGetInt64(out long maps) || maps < 0)
                                return Fail(out error, $"{where}: not a non-negative integer");
                            caps = caps with { MaxDmaMaps = (int)Math.Min(maps, int.MaxValue) };
                            break;
                        case "pgsizes":
                            if (c.Value.ValueKind != JsonValueKind.Number || !c.Value.TryGetUInt64(out ulong pages) || pages == 0)
                                return Fail(out error, $"{where}: not a non-zero unsigned integer");
                            caps = caps with { PgSizes = pages };
                            break;
                        case "twin_socket":
                            if (c.Value.ValueKind != JsonValueKind.Object)
                                return Fail(out error, $"{where}: not an object");
                            bool twin = false;
                            foreach (var t in c.Value.EnumerateObject())
                            {
                                if (t.Name == "supported" && t.Value.ValueKind is JsonValueKind.True or JsonValueKind.False)
                                    twin = t.Value.GetBoolean();
                                else if (t.Name == "fd_index" && Int(t.Value, 0, 252, out _))
                                    continue;
                                else
                                    return Fail(out error, $"{where}.{Quote(t.Name)}: unknown or of the wrong type");
                            }
                            caps = caps with { TwinSocket = twin };
                            break;
                        case "write_multiple":
                            if (c.Value.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                                return Fail(out error, $"{where}: not a boolean");
                            break;
                        case SynchronousModelName:
                            if (c.Value.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                                return Fail(out error, $"{where}: not a boolean");
                            caps = caps with { SynchronousModel = c.Value.GetBoolean() };
                            break;
                        case RepeatedAccessName:
                            if (c.Value.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                                return Fail(out error, $"{where}: not a boolean");
                            caps = caps with { RepeatedAccess = c.Value.GetBoolean() };
                            break;
                        case "migration":
                            if (c.Value.ValueKind != JsonValueKind.Object)
                                return Fail(out error, $"{where}: not an object");
                            break;
                        default:
                            break; // a capability of a later minor version: not proposed back
                    }
                }
                caps = caps with { Named = named };
            }
            return caps;
        }
        catch (JsonException e)
        {
            return Fail(out error, $"VERSION.json: not valid JSON: {e.Message}");
        }
    }

    /// <summary>
    /// This side's capabilities as version data (NUL-terminated JSON). With <paramref name="proposed"/> (a
    /// server's reply), only the capabilities the client named, as the specification requires.
    /// </summary>
    public byte[] ToJson(VfioUserCapabilities? proposed = null)
    {
        var entries = new List<string>();
        bool Named(string name) => proposed is null || proposed.Named.Contains(name);
        if (Named("max_msg_fds"))
            entries.Add($"\"max_msg_fds\":{MaxMsgFds}");
        if (Named("max_data_xfer_size"))
            entries.Add($"\"max_data_xfer_size\":{MaxDataXferSize}");
        if (Named("max_dma_maps"))
            entries.Add($"\"max_dma_maps\":{MaxDmaMaps}");
        if (Named("pgsizes"))
            entries.Add($"\"pgsizes\":{PgSizes}");
        if (proposed is not null && proposed.Named.Contains("twin_socket"))
            entries.Add("\"twin_socket\":{\"supported\":false}");
        if (proposed is not null && proposed.Named.Contains(SynchronousModelName))
            entries.Add($"\"{SynchronousModelName}\":{(SynchronousModel && proposed.SynchronousModel ? "true" : "false")}");
        if (proposed is not null && proposed.Named.Contains(RepeatedAccessName))
            entries.Add($"\"{RepeatedAccessName}\":{(RepeatedAccess && proposed.RepeatedAccess ? "true" : "false")}");
        if (proposed is not null && proposed.Named.Contains("write_multiple"))
            entries.Add("\"write_multiple\":false");
        return Encoding.UTF8.GetBytes($"{{\"capabilities\":{{{string.Join(",", entries)}}}}}\0");
    }

    private static bool Int(JsonElement e, int min, int max, out int value)
    {
        value = 0;
        return e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out value) && value >= min && value <= max;
    }

    private static string Quote(string name) => name.Length > 40 ? name[..40] + "…" : name;

    private static VfioUserCapabilities? Fail(out string? error, string message)
    {
        error = message;
        return null;
    }
}
