using TwoPC.Demo;

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};
return await DemoRunner.RunAsync(args, Console.Out, cancel.Token);
