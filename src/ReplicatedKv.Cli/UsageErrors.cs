using System.CommandLine;

namespace ReplicatedKv.Cli;

/// <summary>
/// A parse failure in words: a word the parser did not know is named as the unknown command, option or argument it
/// is, instead of the parser's "Unrecognized command or argument"; other errors (ours, from custom parsers and
/// validators, already in words) pass through.
/// </summary>
internal static class UsageErrors
{
    public static string Describe(ParseResult parsed)
    {
        if (parsed.UnmatchedTokens.Count > 0)
        {
            var token = parsed.UnmatchedTokens[0];
            var command = parsed.CommandResult.Command;
            if (token.StartsWith('-'))
            {
                return $"unknown option '{token}'";
            }

            return command.Subcommands.Count > 0 && command.Arguments.Count == 0
                ? $"unknown command '{token}'"
                : $"{command.Name}: unexpected argument '{token}'";
        }

        var current = parsed.CommandResult.Command;
        var message = parsed.Errors[0].Message;
        if (message.StartsWith("Required command was not provided", StringComparison.Ordinal))
        {
            var which = current is RootCommand ? "no command given" : $"{current.Name}: no subcommand given";
            return $"{which}; one of: {string.Join(", ", current.Subcommands.Select(c => c.Name))}";
        }

        if (message.StartsWith("Required argument missing", StringComparison.Ordinal))
        {
            var missing = current.Arguments.Where(a => a.Arity.MinimumNumberOfValues > 0 && parsed.GetResult(a) is not { Tokens.Count: > 0 }).Select(a => a.Name);
            return $"{current.Name}: missing {string.Join(" and ", missing)}";
        }

        return Program.OneLine(message);
    }
}
