// SPDX-License-Identifier: MIT
// Managed side. What a vfio-user peer says it can take, from the JSON "version data" of its
// VFIO_USER_VERSION message (libvfio-user docs/vfio-user.rst 0.9.x, "VFIO_USER_VERSION"): the
// specification's defaults where it says nothing, a clear error where it says something malformed.
using System.Text;
using System.Text.Json;

namespace LinuxShim.Shim.Vfio;

public sealed record VfioUserCapabilities
{
    /// <summary>Most descriptors the peer takes in one message (max_msg_fds; default 1).</summary>
    public long MaxMessageFds { get; init; } = 1;

    /// <summary>Largest <c>count</c> of one region or DMA read or write it takes (max_data_xfer_size; default 1 MiB).</summary>
    public long MaxDataTransferSize { get; init; } = 1 << 20;

    /// <summary>Page sizes it supports in DMA maps, or'ed together (pgsizes; default 4 KiB).</summary>
    public ulong PageSizes { get; init; } = 4096;

    /// <summary>Most DMA windows valid at once (max_dma_maps; default 65535).</summary>
    public long MaxDmaMaps { get; init; } = 65535;

    /// <summary>The smallest supported page size: DMA windows are aligned to it.</summary>
    public ulong SmallestPage => PageSizes & (~PageSizes + 1);

    /// <summary>The specification's defaults (a peer that sends no version data).</summary>
    public static VfioUserCapabilities Defaults { get; } = new();

    private static readonly JsonDocumentOptions Strict = new()
    {
        AllowTrailingCommas = false,
        CommentHandling = JsonCommentHandling.Disallow,
        MaxDepth = 8,
        AllowDuplicateProperties = false,
    };

    /// <summary>
    /// Reads version data: UTF-8 JSON ending in one NUL, an object whose optional "capabilities"
    /// object holds the keys above; unknown keys are left alone (a later minor version may add some),
    /// known ones must have their type. Empty data means the defaults.
    /// </summary>
    /// <exception cref="InvalidDataException">naming what is wrong</exception>
    public static VfioUserCapabilities Parse(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
            return Defaults;
        if (data[^1] != 0)
            throw new InvalidDataException("version data does not end with a NUL");
        var json = data[..^1];
        if (json.Contains((byte)0))
            throw new InvalidDataException("version data has a NUL inside its JSON");
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json.ToArray(), Strict);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"version data is not valid JSON: {e.Message}");
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new InvalidDataException($"version data is a JSON {Kind(root)}, not an object");
            if (!root.TryGetProperty("capabilities", out var caps))
                return Defaults;
            if (caps.ValueKind != JsonValueKind.Object)
                throw new InvalidDataException($"capabilities is a JSON {Kind(caps)}, not an object");
            var result = new VfioUserCapabilities();
            foreach (var p in caps.EnumerateObject())
            {
                result = p.Name switch
                {
                    "max_msg_fds" => result with { MaxMessageFds = Integer(p, 0, long.MaxValue) },
                    "max_data_xfer_size" => result with { MaxDataTransferSize = Integer(p, 1, long.MaxValue) },
                    "pgsizes" => result with { PageSizes = PageSizeMask(p) },
                    "max_dma_maps" => result with { MaxDmaMaps = Integer(p, 0, long.MaxValue) },
                    "migration" or "twin_socket" => Expect(p, JsonValueKind.Object, result), // not used by this client
                    "write_multiple" => Expect(p, JsonValueKind.True, result),
                    _ => result,
                };
            }
            return result;
        }
    }

    private static long Integer(JsonProperty p, long min, long max)
    {
        if (p.Value.ValueKind != JsonValueKind.Number || !p.Value.TryGetInt64(out long v))
            throw new InvalidDataException($"capability {p.Name} must be an integer, not {Describe(p.Value)}");
        if (v < min || v > max)
            throw new InvalidDataException($"capability {p.Name} is {v}, outside {min}..{max}");
        return v;
    }

    private static ulong PageSizeMask(JsonProperty p)
    {
        if (p.Value.ValueKind != JsonValueKind.Number || !p.Value.TryGetUInt64(out ulong v))
            throw new InvalidDataException($"capability {p.Name} must be an unsigned integer, not {Describe(p.Value)}");
        if (v == 0)
            throw new InvalidDataException($"capability {p.Name} is 0: no page size at all");
        return v;
    }

    // Checks the type of a capability this client has no use for (True stands for either boolean).
    private static VfioUserCapabilities Expect(JsonProperty p, JsonValueKind kind, VfioUserCapabilities result)
    {
        bool ok = kind == JsonValueKind.True ? p.Value.ValueKind is JsonValueKind.True or JsonValueKind.False : p.Value.ValueKind == kind;
        if (!ok)
            throw new InvalidDataException($"capability {p.Name} must be a JSON {(kind == JsonValueKind.True ? "boolean" : Kind(kind))}, not {Describe(p.Value)}");
        return result;
    }

    private static string Kind(JsonElement e) => Kind(e.ValueKind);

    private static string Kind(JsonValueKind k) => k switch
    {
        JsonValueKind.True or JsonValueKind.False => "boolean",
        _ => k.ToString().ToLowerInvariant(),
    };

    private static string Describe(JsonElement e)
    {
        string text = e.GetRawText();
        return $"{Kind(e)} {(text.Length > 40 ? text[..40] + "…" : text)}";
    }

    /// <summary>The version data this client sends: what it takes, in the same JSON form, NUL-terminated.</summary>
    public static byte[] Encode(long maxMessageFds, long maxDataTransferSize) =>
        Encoding.UTF8.GetBytes($"{{\"capabilities\":{{\"max_msg_fds\":{maxMessageFds},\"max_data_xfer_size\":{maxDataTransferSize}}}}}\0");
}
