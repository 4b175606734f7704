namespace TwoPC.Participant.Storage;

/// <summary>
/// The local transaction of one durable store write, handed to the writes a resource or saga step adds with
/// <see cref="Resources.LocalWriteContext.Write{TTransaction}"/>: those writes and the SDK's own record commit
/// together or not at all. Each store defines its own type (the LiteDB store hands out its database inside its
/// write; a relational store its connection and transaction), and names it in <see cref="IParticipantStore.TransactionType"/>.
/// </summary>
public interface IStoreTransaction;
