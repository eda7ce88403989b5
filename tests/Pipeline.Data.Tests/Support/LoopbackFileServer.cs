using System.Net;
using System.Net.Sockets;

namespace Pipeline.Data.Tests;

/// <summary>
/// Serves files from memory on 127.0.0.1 (a free port), honouring single "bytes=N-" ranges, so download
/// tests never touch the internet. It can drop the connection part-way and can ignore ranges.
/// </summary>
internal sealed class LoopbackFileServer : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Dictionary<string, byte[]> _files = [];
    private readonly Task _loop;

    public LoopbackFileServer()
    {
        int port = FreePort();
        BaseUri = new Uri($"http://127.0.0.1:{port}/data/");
        _listener.Prefixes.Add(BaseUri.ToString());
        _listener.Start();
        _loop = Task.Run(ServeAsync);
    }

    public Uri BaseUri { get; }

    /// <summary>The Range header of every request, in order (null when there was none).</summary>
    public List<string?> Requests { get; } = [];

    /// <summary>When set, each of the next requests sends only this many bytes, then drops the connection.</summary>
    public Queue<long> DropAfter { get; } = new();

    public bool IgnoreRanges { get; set; }

    public void Add(string name, byte[] content) => _files[name] = content;

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
        try { _loop.Wait(TimeSpan.FromSeconds(5)); }
        catch (AggregateException) { } // the listener throws when stopped
    }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            var context = await _listener.GetContextAsync();
            try
            {
                await AnswerAsync(context);
            }
            catch (Exception e) when (e is HttpListenerException or IOException)
            {
                // the client went away
            }
        }
    }

    private async Task AnswerAsync(HttpListenerContext context)
    {
        string? range = context.Request.Headers["Range"];
        long? drop;
        lock (Requests)
        {
            Requests.Add(range);
            drop = DropAfter.Count > 0 ? DropAfter.Dequeue() : null;
        }

        var response = context.Response;
        if (!_files.TryGetValue(context.Request.Url!.AbsolutePath[BaseUri.AbsolutePath.Length..], out var content))
        {
            response.StatusCode = 404;
            response.Close();
            return;
        }

        long start = 0;
        if (range is not null && !IgnoreRanges)
        {
            start = long.Parse(range["bytes=".Length..].TrimEnd('-'));
            if (start >= content.Length)
            {
                response.StatusCode = 416;
                response.Close();
                return;
            }
            response.StatusCode = 206;
            response.Headers["Content-Range"] = $"bytes {start}-{content.Length - 1}/{content.Length}";
        }
        response.ContentLength64 = content.Length - start;
        if (drop is { } sendOnly)
        {
            await response.OutputStream.WriteAsync(content.AsMemory((int)start, (int)Math.Min(sendOnly, content.Length - start)));
            await response.OutputStream.FlushAsync();
            response.Abort(); // the connection drops with the body unfinished
            return;
        }
        await response.OutputStream.WriteAsync(content.AsMemory((int)start));
        response.Close();
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }
}
