// SPDX-License-Identifier: MIT
// Managed side. The kernel's own licensing rules (Documentation/process/license-rules.rst): the
// identifiers a tree allows are those its LICENSES/ files declare (Valid-License-Identifier), an
// exception (LICENSES/exceptions, SPDX-Exception-Identifier) only with the licences its
// SPDX-Licenses tag names, and a LICENSES/dual licence only as an OR alternative.
using LinuxShim.Import.Tree;

namespace LinuxShim.Import.Licence;

public sealed class KernelLicenseRules
{
    /// <summary>Licence identifier → the LICENSES/ folder declaring it (preferred, other, dual, deprecated).</summary>
    public IReadOnlyDictionary<string, string> Licenses { get; }

    /// <summary>Exception identifier → the licences it may be used WITH.</summary>
    public IReadOnlyDictionary<string, IReadOnlySet<string>> Exceptions { get; }

    public KernelLicenseRules(IReadOnlyDictionary<string, string> licenses, IReadOnlyDictionary<string, IReadOnlySet<string>> exceptions)
    {
        Licenses = licenses;
        Exceptions = exceptions;
    }

    /// <summary>Reads LICENSES/ of <paramref name="tree"/>.</summary>
    public static KernelLicenseRules Read(KernelTree tree)
    {
        if (!tree.DirectoryExists("LICENSES"))
            throw new ImportException($"{tree.Location} has no LICENSES/ directory: the kernel's licensing rules cannot be checked");
        var licenses = new Dictionary<string, string>(StringComparer.Ordinal);
        var exceptions = new Dictionary<string, IReadOnlySet<string>>(StringComparer.Ordinal);
        foreach (var folder in tree.ListDirectory("LICENSES").Where(e => e.EndsWith('/')).Select(e => e.TrimEnd('/')))
        {
            foreach (var file in tree.ListDirectory("LICENSES/" + folder).Where(e => !e.EndsWith('/')))
            {
                string path = $"LICENSES/{folder}/{file}";
                var tags = Tags(tree.ReadText(path));
                if (tags.TryGetValue("SPDX-Exception-Identifier", out var ids))
                {
                    var allowed = new HashSet<string>(StringComparer.Ordinal);
                    foreach (var list in tags.GetValueOrDefault("SPDX-Licenses") ?? [])
                        allowed.UnionWith(list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
                    foreach (var id in ids)
                        exceptions[id] = allowed;
                }
                foreach (var id in tags.GetValueOrDefault("Valid-License-Identifier") ?? [])
                    licenses[id] = folder;
            }
        }
        return new KernelLicenseRules(licenses, exceptions);
    }

    /// <summary>"Tag: value" lines before License-Text:.</summary>
    private static Dictionary<string, List<string>> Tags(string text)
    {
        var tags = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith("License-Text:", StringComparison.Ordinal))
                break;
            int colon = line.IndexOf(':');
            if (colon <= 0 || line[0] == ' ' || line[0] == '\t')
                continue;
            string tag = line[..colon].Trim(), value = line[(colon + 1)..].Trim();
            if (value.Length == 0)
                continue;
            if (!tags.TryGetValue(tag, out var list))
                tags[tag] = list = [];
            list.Add(value);
        }
        return tags;
    }

    /// <summary>Problems of <paramref name="expression"/> under these rules (empty when it follows them).</summary>
    public List<string> Check(SpdxExpression expression)
    {
        var problems = new List<string>();
        Walk(expression, underOr: false, problems);
        return problems;
    }

    private void Walk(SpdxExpression e, bool underOr, List<string> problems)
    {
        switch (e)
        {
            case SpdxLicense l:
                CheckLicense(l, underOr, problems);
                break;
            case SpdxWith w:
                CheckLicense(w.License, underOr, problems);
                if (!Exceptions.TryGetValue(w.Exception, out var allowed))
                    problems.Add($"unknown exception identifier '{w.Exception}': the tree's LICENSES/exceptions/ declares "
                                 + (Exceptions.Count == 0 ? "none" : string.Join(", ", Exceptions.Keys.Order(StringComparer.Ordinal))));
                else if (!allowed.Contains(w.License.Text))
                    problems.Add($"exception '{w.Exception}' may only be used with {string.Join(", ", allowed.Order(StringComparer.Ordinal))}, not with '{w.License.Text}'");
                break;
            case SpdxAnd a:
                Walk(a.Left, underOr, problems);
                Walk(a.Right, underOr, problems);
                break;
            case SpdxOr o:
                Walk(o.Left, true, problems);
                Walk(o.Right, true, problems);
                break;
        }
    }

    private void CheckLicense(SpdxLicense l, bool underOr, List<string> problems)
    {
        // The tree declares "GPL-2.0+" itself; a "+" on an identifier it declares only plainly is SPDX's general "or later".
        string? folder = Licenses.GetValueOrDefault(l.Text) ?? (l.OrLater ? Licenses.GetValueOrDefault(l.Id) : null);
        if (folder is null)
        {
            problems.Add($"unknown licence identifier '{l.Text}': not declared by any file in the tree's LICENSES/");
            return;
        }
        if (folder == "dual" && !underOr)
            problems.Add($"'{l.Text}' (LICENSES/dual) may only be used as an alternative with OR, next to a GPL-compatible licence");
    }
}
