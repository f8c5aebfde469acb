// SPDX-License-Identifier: MIT
// Managed side. Parses a deployment file. The format (also in `linuxshim licence --help`):
//
//   name = 8139too                      # top level: name (required), description
//   [process driver-host]               # one section per process
//   command = linuxshim host ...        #   optional, for people
//   load = port .                       #   a port folder (relative to this file): its driver .so
//   load = nuget LibFoo 1.2.3           #   licence from ~/.nuget/packages/libfoo/1.2.3/libfoo.nuspec
//   load = assembly Foo.dll : MIT       #   assembly | library | runtime | program NAME [VERSION] : SPDX-EXPR
//   [channel vfio-user]                 # one section per IPC channel
//   between = driver-host device        #   two processes, or a process and host-kernel
//   transport = unix socket + memfd     #   what crosses, for people
//
// Every error names the file and line and is thrown as an ImportException.
using System.Xml.Linq;

namespace LinuxShim.Import.Licence;

public static class DeploymentFile
{
    /// <summary>The endpoint name for the operating system's kernel (system calls, TAP devices).</summary>
    public const string HostKernel = "host-kernel";

    public static readonly string[] Kinds = ["port", "nuget", "assembly", "library", "runtime", "program"];

    /// <summary>$NUGET_PACKAGES, else ~/.nuget/packages: where restored packages and their .nuspec live.</summary>
    public static string DefaultNuGetRoot() =>
        Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } env ? env
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");

    public static Deployment Load(string file, string? nugetRoot = null)
    {
        string text;
        try
        {
            text = File.ReadAllText(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ImportException($"cannot read deployment file {file}: {e.Message}");
        }
        return Parse(text, file, nugetRoot ?? DefaultNuGetRoot());
    }

    public static Deployment Parse(string text, string file, string nugetRoot)
    {
        string folder = Path.GetDirectoryName(Path.GetFullPath(file)) ?? ".";
        string? name = null, description = null;
        var processes = new List<DeployedProcess>();
        var channels = new List<IpcChannel>();
        // The section being read: its kind, name, line and keys so far.
        string? kind = null, section = null;
        int sectionLine = 0;
        string? command = null, between = null, transport = null;
        var loads = new List<LoadedComponent>();

        ImportException Error(int line, string message) => new($"{file}:{line}: {message}");

        void Close()
        {
            if (kind == "process")
            {
                if (loads.Count == 0)
                    throw Error(sectionLine, $"process '{section}' loads nothing: add 'load = KIND NAME ...' lines");
                processes.Add(new DeployedProcess { Name = section!, Line = sectionLine, Command = command, Loads = loads.ToList() });
            }
            else if (kind == "channel")
            {
                if (between is null)
                    throw Error(sectionLine, $"channel '{section}' needs 'between = PROCESS PROCESS'");
                var ends = between.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                channels.Add(new IpcChannel
                {
                    Name = section!, From = ends[0], To = ends[1], Line = sectionLine,
                    Transport = transport ?? throw Error(sectionLine, $"channel '{section}' needs 'transport = ...' (what crosses it)"),
                });
            }
            kind = section = command = between = transport = null;
            loads.Clear();
        }

        var lines = text.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            int number = i + 1;
            string line = StripComment(lines[i]).Trim();
            if (line.Length == 0)
                continue;
            if (line.StartsWith('['))
            {
                if (!line.EndsWith(']'))
                    throw Error(number, $"section header '{line}' must end with ']'");
                var words = line[1..^1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (words.Length != 2 || words[0] is not ("process" or "channel"))
                    throw Error(number, $"expected '[process NAME]' or '[channel NAME]', found '{line}'");
                if (!IsName(words[1]))
                    throw Error(number, $"'{words[1]}' is not a valid name (letters, digits, '-', '_', '.')");
                if (words[1] == HostKernel)
                    throw Error(number, $"'{HostKernel}' is reserved for the operating system's kernel");
                if (processes.Any(p => p.Name == words[1]) || channels.Any(c => c.Name == words[1]) || section == words[1])
                    throw Error(number, $"'{words[1]}' is declared twice");
                Close();
                kind = words[0];
                section = words[1];
                sectionLine = number;
                continue;
            }
            int eq = line.IndexOf('=');
            if (eq <= 0)
                throw Error(number, $"expected 'key = value' or a [section], found '{line}'");
            string key = line[..eq].Trim(), value = line[(eq + 1)..].Trim();
            if (value.Length == 0)
                throw Error(number, $"'{key}' has no value");
            switch (kind, key)
            {
                case (null, "name"):
                    name = Once(name, value, number, key);
                    break;
                case (null, "description"):
                    description = Once(description, value, number, key);
                    break;
                case ("process", "command"):
                    command = Once(command, value, number, key);
                    break;
                case ("process", "load"):
                    loads.Add(ParseLoad(value, number, folder, nugetRoot, Error));
                    break;
                case ("channel", "between"):
                    between = Once(between, value, number, key);
                    if (between.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length != 2)
                        throw Error(number, $"'between' names two endpoints (processes or {HostKernel}), found '{value}'");
                    break;
                case ("channel", "transport"):
                    transport = Once(transport, value, number, key);
                    break;
                default:
                    throw Error(number, $"unknown key '{key}' " + kind switch
                    {
                        null => "at the top (known: name, description)",
                        "process" => $"in [process {section}] (known: command, load)",
                        _ => $"in [channel {section}] (known: between, transport)",
                    });
            }
        }
        Close();

        if (name is null)
            throw Error(1, "missing 'name = ...' at the top of the file");
        if (processes.Count == 0)
            throw Error(1, "no [process NAME] section: a deployment runs at least one process");
        foreach (var c in channels)
            foreach (var end in new[] { c.From, c.To })
                if (end != HostKernel && processes.All(p => p.Name != end))
                    throw Error(c.Line, $"channel '{c.Name}' connects '{end}', which is no [process] of this file (processes: {string.Join(", ", processes.Select(p => p.Name))}; or {HostKernel})");
        foreach (var c in channels.Where(c => c.From == c.To))
            throw Error(c.Line, $"channel '{c.Name}' connects '{c.From}' with itself");
        return new Deployment { File = file, Name = name, Description = description, Processes = processes, Channels = channels };

        string Once(string? previous, string value, int number, string key) =>
            previous is null ? value : throw Error(number, $"'{key}' given twice");
    }

    private static string StripComment(string line)
    {
        int hash = line.IndexOf('#');
        while (hash > 0 && line[hash - 1] is not (' ' or '\t'))
            hash = line.IndexOf('#', hash + 1);
        return hash < 0 ? line : line[..hash];
    }

    private static bool IsName(string s) => s.Length > 0 && s.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');

    private static LoadedComponent ParseLoad(string value, int number, string folder, string nugetRoot, Func<int, string, ImportException> error)
    {
        string spec = value, licenceText = "";
        int colon = value.IndexOf(" : ", StringComparison.Ordinal);
        if (colon >= 0)
        {
            spec = value[..colon].Trim();
            licenceText = value[(colon + 3)..].Trim();
            if (licenceText.Length == 0)
                throw error(number, "':' must be followed by an SPDX licence expression");
        }
        var words = spec.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Length < 2 || words.Length > 3)
            throw error(number, $"expected 'load = KIND NAME [VERSION] [: SPDX-EXPRESSION]', found '{value}'");
        string kind = words[0], name = words[1];
        string? version = words.Length == 3 ? words[2] : null;
        if (!Kinds.Contains(kind))
            throw error(number, $"unknown kind '{kind}' (known: {string.Join(", ", Kinds)})");
        SpdxExpression? licence = null;
        if (licenceText.Length > 0)
        {
            try
            {
                licence = SpdxExpression.Parse(licenceText);
            }
            catch (SpdxSyntaxException e)
            {
                throw error(number, $"malformed licence expression: {e.Message}");
            }
            // A licence the report cannot judge would silently count as incompatible: name it instead.
            if (GplCompatibility.Unknown(licence) is { } unknown)
                throw error(number, $"unknown licence identifier '{unknown}': name an SPDX licence or exception this report judges "
                                    + $"({string.Join(", ", GplCompatibility.KnownLicences.Where(id => id is not ("NOASSERTION" or "NONE")))}), "
                                    + "or LicenseRef-NAME for any other licence (then judged not GPL-2.0-compatible)");
        }
        switch (kind)
        {
            case "port":
            {
                if (licence is not null)
                    throw error(number, "a port's licences come from its sources; remove ': ...'");
                string path = Path.GetFullPath(Path.Combine(folder, name));
                if (!File.Exists(Path.Combine(path, "port.conf")))
                    throw error(number, $"'{name}' is not a port folder (no {Path.Combine(path, "port.conf")})");
                return new LoadedComponent { Kind = kind, Name = name, Path = path, Line = number, Version = version };
            }
            case "nuget":
            {
                if (version is null)
                    throw error(number, $"a NuGet package needs its version: 'load = nuget {name} VERSION'");
                var (declared, source, why) = NuGetLicence(nugetRoot, name, version);
                if (declared is not null && licence is not null && declared.ToString() != licence.ToString())
                    throw error(number, $"{source} declares '{declared}', not '{licence}'");
                if (declared is null && licence is null)
                    throw error(number, $"{why}; give the licence with ': SPDX-EXPRESSION'");
                return new LoadedComponent
                {
                    Kind = kind, Name = name, Version = version, Licence = declared ?? licence, Line = number,
                    LicenceSource = declared is not null ? source : $"deployment ({why})",
                };
            }
            default:
                if (licence is null)
                    throw error(number, $"'{kind} {name}' needs its licence: 'load = {spec} : SPDX-EXPRESSION' (e.g. MIT, LicenseRef-Proprietary)");
                return new LoadedComponent { Kind = kind, Name = name, Version = version, Licence = licence, LicenceSource = "deployment", Line = number };
        }
    }

    /// <summary>The licence a restored package's .nuspec declares: (expression, nuspec path, null) or (null, path, why not).</summary>
    public static (SpdxExpression? Licence, string Source, string? Why) NuGetLicence(string nugetRoot, string id, string version)
    {
        string lower = id.ToLowerInvariant();
        string nuspec = Path.Combine(nugetRoot, lower, version.ToLowerInvariant(), lower + ".nuspec");
        if (!File.Exists(nuspec))
            return (null, nuspec, $"NuGet package {id} {version} is not in {nugetRoot} (no {nuspec}; restore it first)");
        XDocument doc;
        try
        {
            doc = XDocument.Load(nuspec);
        }
        catch (Exception e) when (e is System.Xml.XmlException or IOException)
        {
            return (null, nuspec, $"{nuspec} is not readable XML: {e.Message}");
        }
        var license = doc.Descendants().FirstOrDefault(e => e.Name.LocalName == "license");
        if (license is null)
            return (null, nuspec, $"{nuspec} declares no <license> (only a licenseUrl at most)");
        string type = (string?)license.Attribute("type") ?? "";
        if (type != "expression")
            return (null, nuspec, $"{nuspec} gives its licence as a {type} ({license.Value.Trim()}), not an SPDX expression");
        try
        {
            return (SpdxExpression.Parse(license.Value.Trim()), nuspec, null);
        }
        catch (SpdxSyntaxException e)
        {
            return (null, nuspec, $"{nuspec}: malformed licence expression: {e.Message}");
        }
    }
}
