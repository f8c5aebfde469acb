// SPDX-License-Identifier: MIT
// Managed side. Messages between a supervisor and the driver host it started, on the host's control
// socket (length-prefixed JSON, descriptors as SCM_RIGHTS):
//   host → supervisor  hello {pid}                          when it has connected
//   supervisor → host  grant {library, memory_mib, parameters} + descriptors: the vfio-user device
//                      channel, the netif control channel (its capabilities; it gets nothing else)
//   host → supervisor  ready {init, interfaces, probe_ms}  or  failed {error}
//   supervisor → host  ping {seq}   host → supervisor  pong {seq, heap_used, heap_size}
// A pong needs the shim's CPU, so a driver that hangs in a handler stops the pongs.
using System.Text.Json.Serialization;

namespace LinuxShim.Shim.Host;

public static class SupervisorMessageTypes
{
    public const string Hello = "hello", Grant = "grant", Ready = "ready", Failed = "failed", Ping = "ping", Pong = "pong";
    public static readonly string[] All = [Hello, Grant, Ready, Failed, Ping, Pong];

    /// <summary>Descriptors that travel with a grant: device channel, netif channel.</summary>
    public const int GrantDescriptors = 2;
}

public sealed record SupervisorMessage
{
    public required string Type { get; init; }
    public int? Pid { get; init; }
    public string? Library { get; init; }
    public int? MemoryMib { get; init; }
    public List<string>? Parameters { get; init; }
    public int? Init { get; init; }
    public List<string>? Interfaces { get; init; }
    public double? ProbeMs { get; init; }
    public long? Seq { get; init; }
    public long? HeapUsed { get; init; }
    public long? HeapSize { get; init; }
    public string? Error { get; init; }

    /// <summary>Null when the message is well-formed for its type, else what is wrong.</summary>
    public string? Validate(int descriptors)
    {
        if (Array.IndexOf(SupervisorMessageTypes.All, Type) < 0)
            return $"unknown message type '{Type}'";
        switch (Type)
        {
            case SupervisorMessageTypes.Hello when Pid is not > 0:
                return "hello needs a pid";
            case SupervisorMessageTypes.Grant:
                if (string.IsNullOrEmpty(Library) || Library.Length > 4096)
                    return "grant needs a library path";
                if (MemoryMib is not (>= 4 and <= 4096))
                    return "grant needs memory_mib between 4 and 4096";
                if (Parameters is { Count: > 64 } || Parameters?.Any(p => p.Length > 256 || !p.Contains('=')) == true)
                    return "grant parameters are name=value, at most 64 of at most 256 bytes";
                if (descriptors != SupervisorMessageTypes.GrantDescriptors)
                    return $"grant carries {SupervisorMessageTypes.GrantDescriptors} descriptors, not {descriptors}";
                return null;
            case SupervisorMessageTypes.Ready when Init is null || Interfaces is null:
                return "ready needs init and interfaces";
            case SupervisorMessageTypes.Ping or SupervisorMessageTypes.Pong when Seq is null:
                return $"{Type} needs seq";
        }
        return descriptors == 0 || Type == SupervisorMessageTypes.Grant ? null : $"{Type} carries no descriptors";
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(SupervisorMessage))]
public sealed partial class SupervisorJson : JsonSerializerContext;
