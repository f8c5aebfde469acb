// SPDX-License-Identifier: MIT
// Managed side. --linux, --build and --kernel as every command that reads a kernel takes them: opens a
// matching source tree and build directory and, when any of it was taken from the installed kernels,
// says in one line which pair and why.
using LinuxShim.Import;
using LinuxShim.Import.Install;
using LinuxShim.Import.Port;

namespace LinuxShim.Tools;

public static class KernelOptions
{
    /// <summary>The request of the command line (and $LINUXSHIM_LINUX, $LINUXSHIM_BUILD), for <paramref name="port"/> when given.</summary>
    public static KernelRequest Request(CommandLine cl, PortRecipe? port = null)
    {
        KernelRequest request;
        try
        {
            request = KernelRequest.FromCommandLine(cl.Get("linux"), cl.Get("build"), cl.Get("kernel"));
        }
        catch (ImportException e)
        {
            throw new UsageException(e.Message);
        }
        return port is null ? request : port.Request(request);
    }

    /// <summary>Opens the kernel inputs; the choice goes to <paramref name="log"/> when defaults made it (and the
    /// command is not --quiet).</summary>
    public static Importer Open(CommandLine cl, TextWriter? log, PortRecipe? port = null) => Open(Request(cl, port), cl, log);

    public static Importer Open(KernelRequest request, CommandLine cl, TextWriter? log)
    {
        var importer = Importer.Open(request, cl.Get("cache"));
        if (importer.Defaulted && !cl.Has("quiet"))
            log?.WriteLine($"linuxshim: {importer.Choice}");
        return importer;
    }
}
