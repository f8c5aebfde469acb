// SPDX-License-Identifier: MIT
// Managed side. The supervised driver's netif channel is a socketpair the supervisor holds, so
// `linuxshim netif show` asks the supervisor instead: this answers "show" on the usual control
// socket path with what the current driver host reports (other requests are refused: the
// supervisor owns the interface's state).
using LinuxShim.Posix;
using LinuxShim.Shim.Netif;
using LinuxShim.Shim.Vfio;

namespace LinuxShim.Supervisor;

public sealed class NetifShowServer : IDisposable
{
    private readonly IDriverLink link;
    private readonly UnixSocket listener;
    private readonly string path;
    private readonly Thread thread;
    private volatile bool stopping;

    public NetifShowServer(IDriverLink link, string path)
    {
        this.link = link;
        this.path = path;
        listener = UnixSocket.Listen(path);
        thread = new Thread(Serve) { IsBackground = true, Name = "netif-show" };
        thread.Start();
    }

    private void Serve()
    {
        while (!stopping)
        {
            UnixSocket? client;
            try
            {
                client = listener.Accept(200);
            }
            catch (Exception e) when (e is PosixException or ObjectDisposedException)
            {
                return;
            }
            if (client is null)
                continue;
            using (client)
            {
                try
                {
                    while (client.WaitReadable(5000))
                    {
                        NetifRequest? request;
                        try
                        {
                            request = NetifChannel.Receive<NetifRequest>(client, null);
                        }
                        catch (NetifBadMessageException e)
                        {
                            NetifChannel.Send(client, new NetifReply { Error = e.Message });
                            continue;
                        }
                        if (request is null)
                            break;
                        NetifReply reply;
                        if (request.Validate() is { } problem)
                            reply = new NetifReply { Error = problem };
                        else if (request.Op != NetifOps.Show)
                            reply = new NetifReply { Error = $"{request.Op}: this interface is held by its supervisor (linuxshim run); only show is served here" };
                        else if (link.Show() is { } info && (request.Interface is null || request.Interface == info.Name))
                            reply = new NetifReply { Ok = true, Interfaces = [info] };
                        else
                            reply = new NetifReply { Ok = true, Interfaces = [] };
                        NetifChannel.Send(client, reply);
                    }
                }
                catch (Exception e) when (e is PosixException or NetifProtocolException or EndOfStreamException)
                {
                }
            }
        }
    }

    public void Dispose()
    {
        stopping = true;
        thread.Join();
        listener.Dispose();
        File.Delete(path);
    }
}
