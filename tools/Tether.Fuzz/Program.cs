using Tether.Fuzz;

return await FuzzApp.RunAsync(args, Console.Out, Console.Error).ConfigureAwait(false);
