// SPDX-License-Identifier: MIT
// Managed side. The netif control channel between a client and a driver host: on a UNIX stream
// socket, each message is a 4-byte little-endian length and that many bytes of JSON; descriptors
// (the netif area of an attach) travel with the message as SCM_RIGHTS. Requests and replies are the
// records below, (de)serialised by source-generated System.Text.Json code and then checked field by
// field (Validate) before anything acts on them.
using System.Buffers.Binary;
using System.Text.Json;
using System.Text.Json.Serialization;
using LinuxShim.Shim.Vfio;
using LinuxShim.Shim.Vfio.Interop;

namespace LinuxShim.Shim.Netif;

public static class NetifOps
{
    public const string Show = "show", Attach = "attach", Detach = "detach", Up = "up", Down = "down", SetMtu = "set_mtu", SetMac = "set_mac";
    public static readonly string[] All = [Show, Attach, Detach, Up, Down, SetMtu, SetMac];
}

public sealed record NetifRequest
{
    public required string Op { get; init; }
    public string? Interface { get; init; }
    public int? Mtu { get; init; }
    public string? Mac { get; init; }

    /// <summary>Null when the request is well-formed, else what is wrong with it.</summary>
    public string? Validate()
    {
        if (Array.IndexOf(NetifOps.All, Op) < 0)
            return $"unknown op '{Op}' (one of {string.Join(", ", NetifOps.All)})";
        bool needsInterface = Op is not NetifOps.Show and not NetifOps.Detach;
        if (needsInterface && string.IsNullOrEmpty(Interface))
            return $"{Op} needs an interface";
        if (Interface is { Length: > 15 })
            return $"interface name '{Interface}' is longer than 15 bytes";
        if (Op == NetifOps.SetMtu && Mtu is not (>= 68 and <= 65535))
            return "set_mtu needs an mtu between 68 and 65535";
        if (Op == NetifOps.SetMac && (Mac is null || !NetifMac.TryParse(Mac, out _)))
            return "set_mac needs a mac like 52:54:00:12:34:56 (unicast)";
        return null;
    }
}

public sealed record NetifLink
{
    public bool Up { get; init; }
    public bool Carrier { get; init; }
    public int? SpeedMbps { get; init; }
    public string Duplex { get; init; } = "unknown";
    public bool? Autoneg { get; init; }
}

public sealed record NetifInterface
{
    public required string Name { get; init; }
    public required string Mac { get; init; }
    public int Mtu { get; init; }
    public required NetifLink Link { get; init; }
    public string Driver { get; init; } = "";
    public string Version { get; init; } = "";
    public string Firmware { get; init; } = "";
    public string BusInfo { get; init; } = "";
    public bool Attached { get; init; }

    /// <summary>rtnl_link_stats64, as ndo_get_stats64 (or dev->stats) gives it.</summary>
    public Dictionary<string, ulong> Statistics { get; init; } = [];

    /// <summary>The driver's own counters (ethtool -S: get_strings / get_ethtool_stats).</summary>
    public Dictionary<string, ulong> DriverStatistics { get; init; } = [];

    /// <summary>The host's own counters for the netif rings.</summary>
    public Dictionary<string, long> Netif { get; init; } = [];
}

public sealed record NetifReply
{
    public bool Ok { get; init; }
    public string? Error { get; init; }
    public List<NetifInterface>? Interfaces { get; init; }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, WriteIndented = false)]
[JsonSerializable(typeof(NetifRequest))]
[JsonSerializable(typeof(NetifReply))]
internal sealed partial class NetifJson : JsonSerializerContext;

public static class NetifMac
{
    public static bool TryParse(string text, out byte[] mac)
    {
        mac = new byte[6];
        var parts = text.Split(':');
        if (parts.Length != 6)
            return false;
        for (int i = 0; i < 6; i++)
        {
            if (parts[i].Length != 2 || !byte.TryParse(parts[i], System.Globalization.NumberStyles.HexNumber, null, out mac[i]))
                return false;
        }
        return (mac[0] & 1) == 0 && mac.Any(b => b != 0);
    }

    public static string Format(ReadOnlySpan<byte> mac) => string.Join(':', mac.ToArray().Select(b => b.ToString("x2")));
}

/// <summary>Length-prefixed JSON messages on a UNIX socket (netif's, or another protocol's with its own context).</summary>
public static class NetifChannel
{
    public const int MaxMessage = 1 << 20;

    public static void Send<T>(UnixSocket socket, T message, ReadOnlySpan<int> fds = default, JsonSerializerContext? context = null)
    {
        byte[] json = JsonSerializer.SerializeToUtf8Bytes(message, typeof(T), context ?? NetifJson.Default);
        var frame = new byte[4 + json.Length];
        BinaryPrimitives.WriteInt32LittleEndian(frame, json.Length);
        json.CopyTo(frame, 4);
        socket.Send(frame, fds);
    }

    /// <summary>
    /// The next message, or default at end of stream. A malformed one throws
    /// <see cref="NetifProtocolException"/>; received descriptors go to <paramref name="fds"/> (closed when null).
    /// </summary>
    public static T? Receive<T>(UnixSocket socket, List<int>? fds, JsonSerializerContext? context = null) where T : class
    {
        Span<byte> prefix = stackalloc byte[4];
        if (!socket.ReceiveExactly(prefix, fds))
            return null;
        int length = BinaryPrimitives.ReadInt32LittleEndian(prefix);
        if (length <= 0 || length > MaxMessage)
            throw new NetifProtocolException($"netif message of {length} bytes (1..{MaxMessage})");
        var body = new byte[length];
        if (!socket.ReceiveExactly(body, fds))
            throw new NetifProtocolException("netif message cut off");
        try
        {
            return (T?)JsonSerializer.Deserialize(body, typeof(T), context ?? NetifJson.Default)
                ?? throw new NetifBadMessageException("netif message is JSON null");
        }
        catch (JsonException e)
        {
            throw new NetifBadMessageException($"netif message is not a valid {typeof(T).Name}: {e.Message}");
        }
    }

    public static void CloseAll(List<int> fds)
    {
        foreach (int f in fds)
            Libc.Close(f);
        fds.Clear();
    }
}
