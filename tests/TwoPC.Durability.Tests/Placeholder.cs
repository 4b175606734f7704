namespace TwoPC.Durability.Tests;
