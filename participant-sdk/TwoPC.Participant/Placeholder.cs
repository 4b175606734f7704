namespace TwoPC.Participant;

internal static class Placeholder
{
}
