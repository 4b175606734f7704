using Microsoft.Extensions.Logging;

namespace TwoPC.Durability;

/// <summary>The group committer's logs.</summary>
internal static partial class GroupCommitLog
{
    [LoggerMessage(EventId = 910, EventName = "FailStopCallbackFailed", Level = LogLevel.Critical,
        Message = "The fail-stop callback of the store {DataPath} threw; the store stays stopped and refuses every write")]
    public static partial void FailStopCallbackFailed(ILogger logger, Exception exception, string dataPath);
}
