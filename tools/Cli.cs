// SPDX-License-Identifier: MIT
// Managed side. Command dispatch for linuxshim (placeholder until the scan command lands).
namespace LinuxShim.Tools;

public static class Cli
{
    public static int Run(string[] args) { Console.WriteLine("linuxshim"); return 0; }
}
