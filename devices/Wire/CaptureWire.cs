// SPDX-License-Identifier: MIT
// Managed side. A wire that records every frame crossing another wire, in both directions, to pcap.
namespace LinuxShim.Devices.Wire;

public sealed class CaptureWire : IWire
{
    private readonly FrameDispatch dispatch = new();
    private readonly IWire inner;
    private readonly PcapWriter capture;

    public CaptureWire(IWire inner, PcapWriter capture)
    {
        this.inner = inner;
        this.capture = capture;
        inner.Received += OnReceived;
    }

    public event FrameHandler? Received;

    public long HandlerFaults => dispatch.Faults;

    public Exception? FirstHandlerFault => dispatch.FirstFault;

    public string Description => $"{inner.Description} (captured)";

    public void Send(ReadOnlySpan<byte> frame)
    {
        capture.Write(frame);
        inner.Send(frame);
    }

    private void OnReceived(ReadOnlySpan<byte> frame)
    {
        capture.Write(frame);
        dispatch.Raise(Received, frame);
    }

    public void Dispose()
    {
        inner.Received -= OnReceived;
        inner.Dispose();
        capture.Dispose();
    }
}
