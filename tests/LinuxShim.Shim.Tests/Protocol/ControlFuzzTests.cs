// SPDX-License-Identifier: MIT
// Fuzz tests of the control protocol (issue 8: ≥ 100,000 malformed control messages, no crash, no
// hang, each rejected): mutated messages sent to a running NetifServer over a socket pair, and
// straight to the generated parsers of NetifRequest, NetifReply (what a client reads from an untrusted
// host) and SupervisorMessage (both directions between supervisor and host). Every mutation is
// invalid by construction, so every one must come back as an error; the counts and times are
// written to the test output.
using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using LinuxShim.Posix;
using LinuxShim.Shim.Host;
using LinuxShim.Shim.Netif;
using LinuxShim.Shim.Protocol;
using LinuxShim.Shim.Vfio;
using Xunit.Abstractions;

namespace LinuxShim.Shim.Tests.Protocol;

public sealed class ControlFuzzTests(ITestOutputHelper output)
{
    private const int Count = 100_000;

    [Fact]
    public void ARunningNetifServerRejectsEveryMalformedRequestAndKeepsServing()
    {
        using var server = new NetifServer(() => []);
        using var descriptor = new EventFd();
        var mutator = new ControlMutator(8);
        var random = new Random(9);
        var byKind = new int[ControlMutator.KindCount];
        int rejected = 0, framing = 0;
        var (mine, theirs) = UnixSocket.CreatePair();
        server.Serve(mine);
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < Count; i++)
        {
            if (i % 50 == 49)
            {
                // A length out of range: an error reply, then the server hangs up (the stream is out of step).
                var prefix = new byte[4];
                BinaryPrimitives.WriteInt32LittleEndian(prefix, Pick(random, 0, -1, int.MinValue, NetifChannel.MaxMessage + 1, int.MaxValue));
                theirs.Send(prefix);
                Assert.Contains("bytes", Answer(theirs, "a bad length").Error);
                Assert.Null(NetifChannel.Receive<NetifReply>(theirs, null));
                theirs.Dispose();
                (mine, theirs) = UnixSocket.CreatePair();
                server.Serve(mine);
                framing++;
                rejected++;
                continue;
            }
            var seed = ControlSeeds.Requests[random.Next(ControlSeeds.Requests.Length)];
            var (kind, body, descriptors) = mutator.Next(seed, nonEmpty: true);
            var frame = new byte[4 + body.Length];
            BinaryPrimitives.WriteInt32LittleEndian(frame, body.Length);
            body.CopyTo(frame, 4);
            theirs.Send(frame, Enumerable.Repeat(descriptor.Handle, descriptors).ToArray());
            var reply = Answer(theirs, $"{kind}: {Show(body)}");
            Assert.False(reply.Ok, $"the server accepted a {kind} mutation: {Show(body)}");
            Assert.StartsWith("NetifRequest", reply.Error);
            byKind[(int)kind]++;
            rejected++;
        }
        var elapsed = clock.Elapsed;

        // The same connection, and a new one, still answer a valid request.
        NetifChannel.Send(theirs, new NetifRequest { Op = NetifOps.Show });
        Assert.True(Answer(theirs, "show").Ok);
        theirs.Dispose();
        var (c, d) = UnixSocket.CreatePair();
        server.Serve(c);
        using (d)
        {
            NetifChannel.Send(d, new NetifRequest { Op = NetifOps.Show });
            Assert.True(Answer(d, "show").Ok);
        }
        Assert.Equal(Count, rejected);
        Assert.Equal(Count, server.Rejected);
        output.WriteLine($"NetifServer: {Count:N0} malformed requests over a socket, {rejected:N0} rejected with an error reply " +
            $"({framing:N0} bad lengths, each followed by a hang-up and a new connection), in {elapsed.TotalSeconds:F1} s " +
            $"({elapsed.TotalMilliseconds * 1000 / Count:F0} µs each); by kind: {Kinds(byKind)}");
    }

    [Fact]
    public void EveryParserRejectsEveryMalformedMessage()
    {
        Fuzz<NetifRequest>(ControlSeeds.Requests, 11);
        Fuzz<NetifReply>(ControlSeeds.Replies, 12);
        Fuzz<SupervisorMessage>(ControlSeeds.Supervisor, 13);
    }

    private void Fuzz<T>(ControlSeed[] seeds, int seed) where T : class, IControlMessage<T>
    {
        var mutator = new ControlMutator(seed);
        var random = new Random(seed);
        var byKind = new int[ControlMutator.KindCount];
        var slowest = TimeSpan.Zero;
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < Count; i++)
        {
            var (kind, body, descriptors) = mutator.Next(seeds[random.Next(seeds.Length)]);
            long start = Stopwatch.GetTimestamp();
            bool accepted = T.TryParse(body, descriptors, out _, out string? error);
            var took = Stopwatch.GetElapsedTime(start);
            if (took > slowest)
                slowest = took;
            Assert.False(accepted, $"{typeof(T).Name} accepted a {kind} mutation: {Show(body)}");
            Assert.StartsWith(typeof(T).Name, error);
            byKind[(int)kind]++;
        }
        var elapsed = clock.Elapsed;
        Assert.True(slowest < TimeSpan.FromSeconds(1), $"one parse took {slowest.TotalMilliseconds} ms");
        output.WriteLine($"{typeof(T).Name}: {Count:N0} malformed messages, {Count:N0} rejected, in {elapsed.TotalSeconds:F1} s with their mutation " +
            $"(slowest parse {slowest.TotalMilliseconds:F2} ms); by kind: {Kinds(byKind)}");
    }

    private static NetifReply Answer(UnixSocket socket, string what)
    {
        Assert.True(socket.WaitReadable(10_000), $"no answer within 10 s to {what}");
        return NetifChannel.Receive<NetifReply>(socket, null) ?? throw new Xunit.Sdk.XunitException($"the server hung up after {what}");
    }

    private static int Pick(Random random, params int[] options) => options[random.Next(options.Length)];

    private static string Kinds(int[] byKind) =>
        string.Join(", ", Enum.GetValues<Mutation>().Select(k => $"{k} {byKind[(int)k]:N0}"));

    private static string Show(byte[] body)
    {
        string text = Encoding.UTF8.GetString(body);
        return text.Length > 300 ? text[..300] + $"… ({body.Length} bytes)" : text;
    }
}
