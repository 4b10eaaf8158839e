using System.Security.Cryptography;
using System.Text;

namespace ConOps.Console.Auth;

/// <summary>
/// The one-time code that proves the person creating the first admin can read the console's log, so a
/// fresh install exposed to a network cannot be claimed by a stranger. It exists only in memory, only while
/// no user exists, and is replaced after a few wrong guesses.
/// </summary>
public sealed partial class SetupCode(ILogger<SetupCode> log)
{
    private const int MaxWrongGuesses = 5;
    private const string Alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    private readonly Lock _gate = new();
    private string? _code;
    private int _wrongGuesses;

    /// <summary>True while the console waits for its first admin.</summary>
    public bool Pending
    {
        get
        {
            lock (_gate)
            {
                return _code is not null;
            }
        }
    }

    /// <summary>Makes a new code and prints it in the log.</summary>
    public void Issue(string setupUrl)
    {
        lock (_gate)
        {
            _code = NewCode();
            _wrongGuesses = 0;
            LogSetupCode(_code, setupUrl);
        }
    }

    /// <summary>Checks a guess; the code is spent on success and replaced after too many failures.</summary>
    public bool TryRedeem(string? guess, string setupUrl)
    {
        lock (_gate)
        {
            if (_code is null || guess is null)
            {
                return false;
            }
            if (CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(Normalize(guess)), Encoding.UTF8.GetBytes(Normalize(_code))))
            {
                _code = null;
                return true;
            }
            if (++_wrongGuesses >= MaxWrongGuesses)
            {
                LogTooManyGuesses(MaxWrongGuesses);
                _code = NewCode();
                _wrongGuesses = 0;
                LogSetupCode(_code, setupUrl);
            }
            return false;
        }
    }

    /// <summary>Forgets the code once a user exists by other means (the API with the bootstrap token).</summary>
    public void Withdraw()
    {
        lock (_gate)
        {
            _code = null;
        }
    }

    // Dashes and spaces are only for reading; case does not matter.
    private static string Normalize(string code) =>
        new([.. code.Where(char.IsLetterOrDigit).Select(char.ToUpperInvariant)]);

    private static string NewCode()
    {
        var chars = new char[14];
        for (var i = 0; i < chars.Length; i++)
        {
            chars[i] = i is 4 or 9 ? '-' : Alphabet[RandomNumberGenerator.GetInt32(Alphabet.Length)];
        }
        return new string(chars);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "No admin exists yet. Open {SetupUrl} and enter the one-time setup code {Code} to create one.")]
    private partial void LogSetupCode(string code, string setupUrl);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Count} wrong setup codes were entered; the code was replaced.")]
    private partial void LogTooManyGuesses(int count);
}
