using LiteDB;
using TwoPC.Participant.Storage;
using TwoPC.Participant.Testing;

namespace TwoPC.Participant.LiteDb.Tests;

/// <summary>The participant-store contract on real LiteDB files.</summary>
public sealed class LiteDbParticipantStoreContractTests : ParticipantStoreContractTests, IDisposable
{
    private readonly LiteDbStoreFixture _fixture = new();

    protected override Task<IParticipantStore> OpenAsync(string location) => Task.FromResult<IParticipantStore>(_fixture.Open(location));

    protected override Task CloseAsync(IParticipantStore store)
    {
        ((LiteDbParticipantStore)store).Dispose();
        return Task.CompletedTask;
    }

    protected override LocalWrite BusinessWrite(string key) => (transaction, _) =>
    {
        ((LiteDbStoreTransaction)transaction).Database.GetCollection("business").Insert(new BsonDocument { ["_id"] = key });
        return ValueTask.CompletedTask;
    };

    protected override Task<bool> HasBusinessRowAsync(IParticipantStore store, string key) =>
        Task.FromResult(((LiteDbParticipantStore)store).Database.GetCollection("business").FindById(key) is not null);

    public void Dispose() => _fixture.Dispose();
}
