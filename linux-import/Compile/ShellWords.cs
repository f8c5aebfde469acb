// SPDX-License-Identifier: MIT
// Managed side. Splits a POSIX shell command line into words (quotes and backslashes), as make hands it to sh.
using System.Text;

namespace LinuxShim.Import.Compile;

public static class ShellWords
{
    public static List<string> Split(string command)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        bool inWord = false;
        for (int i = 0; i < command.Length; i++)
        {
            char c = command[i];
            if (c == '\'')
            {
                int end = command.IndexOf('\'', i + 1);
                if (end < 0)
                    throw new FormatException("unterminated ' in command line");
                word.Append(command, i + 1, end - i - 1);
                i = end;
                inWord = true;
            }
            else if (c == '"')
            {
                i++;
                for (; i < command.Length && command[i] != '"'; i++)
                {
                    if (command[i] == '\\' && i + 1 < command.Length && command[i + 1] is '"' or '\\' or '$' or '`')
                        i++;
                    word.Append(command[i]);
                }
                if (i >= command.Length)
                    throw new FormatException("unterminated \" in command line");
                inWord = true;
            }
            else if (c == '\\' && i + 1 < command.Length)
            {
                word.Append(command[++i]);
                inWord = true;
            }
            else if (char.IsWhiteSpace(c))
            {
                if (inWord)
                    words.Add(word.ToString());
                word.Clear();
                inWord = false;
            }
            else
            {
                word.Append(c);
                inWord = true;
            }
        }
        if (inWord)
            words.Add(word.ToString());
        return words;
    }
}
