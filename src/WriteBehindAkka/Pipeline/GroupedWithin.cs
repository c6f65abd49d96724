using System.Threading.Channels;

namespace WriteBehindAkka.Pipeline;

/// <summary>
/// Akka.Streams' <c>GroupedWithin(n, d)</c> as an async stage between two channels: chunks the input into
/// groups of at most <c>n</c> elements, emitting a group when it holds <c>n</c> elements or when <c>d</c> has
/// passed since its first element, whichever comes first.
/// </summary>
/// <remarks>
/// <para><b>Emits when</b> the group holds <c>n</c> elements, or <c>d</c> has passed since the group's first
/// element and the group is not empty, and the output has room. Never emits an empty group.</para>
/// <para><b>Backpressures when</b> a group is due but the output has no room (the downstream writer is busy)
/// and the group already holds <c>n</c> elements; until then it keeps filling the waiting group, so a busy
/// writer gets bigger batches.</para>
/// <para><b>Completes when</b> the input completes: the last, possibly partial, group is emitted first.</para>
/// <para><b>Fails when</b> cancelled; the group in hand is not lost, because every element's owner (a shard)
/// keeps the write until it hears it was committed.</para>
/// <para>With a weight function it is Akka's <c>GroupedWeightedWithin(maxWeight, n, d)</c>: a group is also full
/// once its elements weigh <c>maxWeight</c>; an element that would take a non-empty group past it starts the
/// next group instead, and an element heavier than <c>maxWeight</c> on its own travels alone.</para>
/// <para>Akka starts its timer when the previous group was emitted; this stage starts it at a group's first
/// element, so a lone write waits at most <c>d</c>, however long the stream was idle before it.</para>
/// </remarks>
/// <typeparam name="T">The element type.</typeparam>
internal sealed class GroupedWithin<T>
{
    private readonly ChannelReader<T> _input;
    private readonly Channel<List<T>> _output;
    private readonly int _maxCount;
    private readonly Func<T, long>? _weight;
    private readonly long _maxWeight;
    private readonly TimeSpan _maxDelay;
    private readonly TimeProvider _time;
    private readonly ITimer _timer;

    /// <summary>A wait for input that has not completed yet.</summary>
    private Task<bool>? _pendingRead;

    /// <summary>When the current group got its first element.</summary>
    private long _groupStart;

    /// <summary>Stamps an element with when it was made (a timestamp), for <see cref="OpenSince"/>; <see langword="null"/>: when it arrived.</summary>
    private readonly Func<T, long>? _stamp;

    /// <summary>See <see cref="OpenSince"/>.</summary>
    private long _openSince;

    /// <summary>The weight of the group being filled.</summary>
    private long _groupWeight;

    /// <summary>An element read that did not fit the previous group: the first of the next.</summary>
    private T? _carried;
    private bool _hasCarried;

    /// <summary>Completed by the timer; replaced each time it is armed.</summary>
    private TaskCompletionSource _timerFired = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>
    /// How many flushes are waiting (<see cref="Hurry"/>): while any is, a group is emitted as soon as it holds what
    /// the input has, without waiting out <c>maxDelay</c>.
    /// </summary>
    private int _hurry;

    public GroupedWithin(ChannelReader<T> input, int maxCount, TimeSpan maxDelay, TimeProvider time, Func<T, long>? weight = null, long maxWeight = long.MaxValue, Func<T, long>? stamp = null)
    {
        _input = input;
        _stamp = stamp;
        _maxCount = maxCount;
        _weight = weight;
        _maxWeight = maxWeight;
        _maxDelay = maxDelay;
        _time = time;
        // One group waiting while the writer works on the previous one, as between two async stages in Akka.
        _output = Channel.CreateBounded<List<T>>(new BoundedChannelOptions(1) { SingleReader = true, SingleWriter = true });
        _timer = time.CreateTimer(static state => Volatile.Read(ref ((GroupedWithin<T>)state!)._timerFired).TrySetResult(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>The groups.</summary>
    public ChannelReader<List<T>> Output => _output.Reader;

    /// <summary>
    /// The stamp of the first element of the group being gathered (or waiting for room in the output), or when it
    /// arrived without a stamp selector; 0 when there is none. An element there waits up to <c>maxDelay</c> and is in
    /// no batch yet, so whoever reports the oldest pending element must look here too.
    /// </summary>
    public long OpenSince => Volatile.Read(ref _openSince);

    /// <summary>
    /// A flush is waiting: until the matching <see cref="EndHurry"/>, groups are emitted without waiting out the
    /// delay (a flush on a manual clock nobody advances would otherwise wait for ever, and on a real one for the delay).
    /// </summary>
    public void Hurry()
    {
        Interlocked.Increment(ref _hurry);
        // Wakes a group waiting for its timer; one armed after this read sees the count (see IsDue).
        Volatile.Read(ref _timerFired).TrySetResult();
    }

    /// <summary>The flush that called <see cref="Hurry"/> is done.</summary>
    public void EndHurry() => Interlocked.Decrement(ref _hurry);

    /// <summary>Runs the stage until the input completes (then completes the output) or the token is cancelled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            var group = new List<T>();
            bool inputOpen = true;
            while (inputOpen)
            {
                if (group.Count == 0)
                {
                    T first;
                    if (_hasCarried)
                    {
                        first = _carried!;
                        _carried = default;
                        _hasCarried = false;
                    }
                    else
                    {
                        if (!await WaitForInput(cancellationToken).ConfigureAwait(false))
                        {
                            break;
                        }

                        if (!_input.TryRead(out first!))
                        {
                            continue;
                        }
                    }

                    group.Add(first);
                    _groupWeight = _weight?.Invoke(first) ?? 0;
                    ArmTimer();
                    Volatile.Write(ref _openSince, _stamp?.Invoke(first) ?? _groupStart);
                }

                Fill(group);
                while (!IsFull(group) && !IsDue())
                {
                    var more = WaitForInput(cancellationToken);
                    if (await Task.WhenAny(more, _timerFired.Task).ConfigureAwait(false) == more)
                    {
                        if (!await more.ConfigureAwait(false))
                        {
                            inputOpen = false;
                            break;
                        }

                        Fill(group);
                    }
                }

                await EmitAsync(group, inputOpen, cancellationToken).ConfigureAwait(false);
                group = new List<T>(Math.Min(_maxCount, Math.Max(16, group.Count)));
            }

            if (group.Count > 0)
            {
                await EmitAsync(group, inputOpen: false, cancellationToken).ConfigureAwait(false);
            }

            if (_hasCarried)
            {
                // The input ended while an element waited for the next group.
                await EmitAsync([_carried!], inputOpen: false, cancellationToken).ConfigureAwait(false);
                _hasCarried = false;
            }

            _output.Writer.TryComplete();
        }
        catch (Exception error)
        {
            _output.Writer.TryComplete(error);
            throw;
        }
        finally
        {
            // The stage runs once: its timer goes with it (a callback already running finds a completed source).
            _timer.Dispose();
        }
    }

    /// <summary>Waits for input, reusing a wait that lost an earlier race rather than stacking another.</summary>
    private Task<bool> WaitForInput(CancellationToken cancellationToken)
    {
        if (_pendingRead is null || _pendingRead.IsCompleted)
        {
            _pendingRead = _input.WaitToReadAsync(cancellationToken).AsTask();
        }

        return _pendingRead;
    }

    /// <summary>Whether the group takes no more elements: <c>n</c> of them, their weight reached, or one waiting for the next group.</summary>
    private bool IsFull(List<T> group) => group.Count >= _maxCount || _groupWeight >= _maxWeight || _hasCarried;

    private void Fill(List<T> group)
    {
        while (!IsFull(group) && _input.TryRead(out var item))
        {
            if (_weight is not null)
            {
                long weight = _weight(item);
                if (group.Count > 0 && _groupWeight + weight > _maxWeight)
                {
                    _carried = item;
                    _hasCarried = true;
                    return;
                }

                _groupWeight += weight;
            }

            group.Add(item);
        }
    }

    /// <summary>
    /// Whether the group's time is up. Checks the clock as well as the timer, because a timer armed for the
    /// previous group may fire late into this one.
    /// </summary>
    private bool IsDue()
    {
        if (Volatile.Read(ref _hurry) > 0)
        {
            return true;
        }

        if (!_timerFired.Task.IsCompleted)
        {
            return false;
        }

        var elapsed = _time.GetElapsedTime(_groupStart);
        if (elapsed >= _maxDelay)
        {
            return true;
        }

        Arm(_maxDelay - elapsed);
        // A Hurry that read the previous source before Arm replaced it completed that one: its count is seen here.
        return Volatile.Read(ref _hurry) > 0;
    }

    private void ArmTimer()
    {
        _groupStart = _time.GetTimestamp();
        Arm(_maxDelay);
    }

    private void Arm(TimeSpan due)
    {
        // A full fence (not a volatile write): the read of the hurry count that follows cannot move before it.
        Interlocked.Exchange(ref _timerFired, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        _timer.Change(due, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Hands the group downstream; while the output is full, keeps filling it up to the limit.</summary>
    private async Task EmitAsync(List<T> group, bool inputOpen, CancellationToken cancellationToken)
    {
        _timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        while (!_output.Writer.TryWrite(group))
        {
            var room = _output.Writer.WaitToWriteAsync(cancellationToken).AsTask();
            if (inputOpen && !IsFull(group))
            {
                var more = WaitForInput(cancellationToken);
                if (await Task.WhenAny(room, more).ConfigureAwait(false) == more)
                {
                    if (await more.ConfigureAwait(false))
                    {
                        Fill(group);
                    }
                    else
                    {
                        inputOpen = false;
                    }

                    continue;
                }
            }

            if (!await room.ConfigureAwait(false))
            {
                throw new InvalidOperationException("The GroupedWithin output was completed while a group was waiting.");
            }
        }

        // Handed on: the reader of the output accounts for it from here (the group was in no batch until now).
        Volatile.Write(ref _openSince, 0);
    }
}
