"""Following: followers move along the path their leader took, a fixed distance behind it."""

from __future__ import annotations

import numpy as np

from mt_datasets.syn_ta.motions import _kinematics as kin
from mt_datasets.syn_ta.motions.context import MotionContext
from mt_datasets.syn_ta.motions.registry import register_motion
from mt_datasets.syn_ta.timeline import Timeline


def _ground(points_xz, scale: float) -> np.ndarray:
    points = np.asarray(points_xz, float)
    return np.stack([points[:, 0], np.full(len(points), scale / 2), points[:, 1]], axis=1)


def _line(ctx: MotionContext, length: float, scale: float) -> np.ndarray:
    """A straight ground path of ``length`` in a random direction, inside the stage."""

    def draw() -> dict:
        heading = ctx.direction()[[0, 2]]
        center = ctx.rng.uniform(-0.5, 0.5, 2)
        return {"ends": np.array([center - heading * length / 2, center + heading * length / 2])}

    ends = ctx.resample(draw, lambda p: ctx.inside(_ground(p["ends"], scale), scale, 0.1), "a line on the stage")[
        "ends"
    ]
    return _ground(ends, scale)


def _walk(ctx: MotionContext, path: kin.Polyline, start: float, stop: float, begin: float, end: float) -> np.ndarray:
    """Positions along ``path`` from arc length ``start`` to ``stop`` at a steady speed between times ``begin`` and
    ``end`` (still before and after)."""
    return path.at(start + (stop - start) * kin.ramp(ctx.times, begin, end))


def _convoy(ctx: MotionContext, path: kin.Polyline, followers: int, scale: float, gap: float) -> list:
    """A leader and ``followers`` walking ``path`` together, each ``gap`` behind the one before it."""
    begin = ctx.uniform(0.0, 0.15)
    end = begin + ctx.uniform(0.7, 0.85)
    shape, colors = ctx.shape(), ctx.colors(followers + 1)
    tracks = []
    for k in range(followers + 1):
        role = "leader" if k == 0 else "follower"
        track = ctx.track(path.points[0], scale=scale, role=role, shape=shape, color=colors[k])
        lag = (followers - k) * gap  # the leader starts furthest along the path
        track.position[:] = _walk(ctx, path, lag, path.length - k * gap, begin, end)
        tracks.append(track)
    return tracks


def _spacing(ctx: MotionContext, scale: float) -> float:
    """Distance between followers along the path: clear of contact, close enough to read as following."""
    return 2 * float(kin.collision_radius(scale)) + ctx.uniform(0.3, 0.8)


@register_motion(coarse="following", number=1)
def following_in_straight_line(ctx: MotionContext) -> Timeline:
    """Single object following another object all the time while moving in a straight line."""
    scale = ctx.size("medium") * 0.7
    gap, length = _spacing(ctx, scale), ctx.uniform(5.5, 6.5)
    tracks = _convoy(ctx, kin.Polyline(_line(ctx, length, scale)), 1, scale, gap)
    return ctx.timeline(tracks, gap=gap, length=length)


@register_motion(coarse="following", number=3)
def many_following_in_straight_line(ctx: MotionContext) -> Timeline:
    """Multiple objects following one object all the time in a straight line."""
    scale = ctx.size("small")
    followers = ctx.integer(2, 3)
    gap = _spacing(ctx, scale)
    length = min(followers * gap + ctx.uniform(2.5, 3.5), 6.6)
    tracks = _convoy(ctx, kin.Polyline(_line(ctx, length, scale)), followers, scale, gap)
    return ctx.timeline(tracks, followers=followers, gap=gap, length=length)


@register_motion(coarse="following", number=4)
def following_in_complex_path(ctx: MotionContext) -> Timeline:
    """Single object following another object all the time in a complex path (a winding, S-shaped curve)."""
    scale = ctx.size("medium") * 0.7
    gap = _spacing(ctx, scale)

    def draw() -> dict:
        # Bends no tighter than ~0.5 units in radius: a follower one gap behind stays clear of the leader.
        span, amplitude = ctx.uniform(5.0, 6.0), ctx.uniform(0.8, 1.3)
        periods, phase, angle = ctx.uniform(0.8, 1.2), ctx.uniform(0, 2 * np.pi), ctx.uniform(0, 2 * np.pi)
        x = np.linspace(-span / 2, span / 2, 160)
        z = amplitude * np.sin(2 * np.pi * periods * x / span + phase)
        rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
        points = _ground(np.stack([x, z], axis=1) @ rotation.T, scale)
        return {"points": points, "span": span, "amplitude": amplitude, "periods": periods, "angle": angle}

    def valid(p: dict) -> bool:
        path = kin.Polyline(p["points"])
        along = np.linspace(gap, path.length, 100)
        apart = np.linalg.norm(path.at(along) - path.at(along - gap), axis=1).min()
        return ctx.inside(p["points"], scale, 0.1) and apart > 2 * kin.collision_radius(scale) + 0.1

    p = ctx.resample(draw, valid, "a winding path on the stage, its bends wide enough to follow")
    tracks = _convoy(ctx, kin.Polyline(p.pop("points")), 1, scale, gap)
    return ctx.timeline(tracks, gap=gap, **p)


@register_motion(coarse="following", number=2)
def following_then_other_path(ctx: MotionContext) -> Timeline:
    """Single object following another object for some time while moving in straight line then follows another
    path: the follower turns off the leader's line half way and goes its own way."""
    scale = ctx.size("medium") * 0.7
    gap = _spacing(ctx, scale)
    begin = ctx.uniform(0.0, 0.1)
    end = begin + ctx.uniform(0.75, 0.85)

    def draw() -> dict:
        length = ctx.uniform(5.5, 6.5)
        line = _line(ctx, length, scale)
        heading = kin.unit(line[1] - line[0])
        split = ctx.uniform(0.45, 0.6)  # fraction of the follower's walk done on the leader's line
        travel = length - gap
        turn_at = line[0] + heading * split * travel
        turn = ctx.uniform(np.radians(50), np.radians(110)) * ctx.sign()
        rotated = np.array(
            [
                np.cos(turn) * heading[0] - np.sin(turn) * heading[2],
                0.0,
                np.sin(turn) * heading[0] + np.cos(turn) * heading[2],
            ]
        )
        turn_end = turn_at + rotated * (1 - split) * travel
        return {"line": line, "own": np.array([line[0], turn_at, turn_end]), "split": split, "turn": turn}

    def valid(p: dict) -> bool:
        if not ctx.inside(p["own"], scale, 0.1):
            return False
        leader = kin.Polyline(p["line"])
        follower = kin.Polyline(p["own"])
        lead = _walk(ctx, leader, gap, leader.length, begin, end)
        follow = _walk(ctx, follower, 0.0, leader.length - gap, begin, end)
        distance = np.linalg.norm(lead - follow, axis=1)
        return bool(distance.min() > 2 * kin.collision_radius(scale) + 0.2)

    p = ctx.resample(draw, valid, "a turn-off clear of the leader")
    leader_path, follower_path = kin.Polyline(p["line"]), kin.Polyline(p["own"])
    shape, color = ctx.shape(), ctx.colors(2)
    leader = ctx.track(leader_path.points[0], scale=scale, role="leader", shape=shape, color=color[0])
    follower = ctx.track(follower_path.points[0], scale=scale, role="follower", shape=shape, color=color[1])
    leader.position[:] = _walk(ctx, leader_path, gap, leader_path.length, begin, end)
    follower.position[:] = _walk(ctx, follower_path, 0.0, leader_path.length - gap, begin, end)
    split_time = begin + p["split"] * (end - begin)
    return ctx.timeline([leader, follower], gap=gap, begin=begin, end=end, split_time=split_time, turn=p["turn"])


@register_motion(coarse="following", number=5)
def following_later(ctx: MotionContext) -> Timeline:
    """Single object not following another object at first but later starts following: it waits off the leader's
    path, then walks onto the path behind the leader and trails it."""
    scale = ctx.size("medium") * 0.7
    gap = _spacing(ctx, scale) + 0.4  # room for the follower cutting in from the side
    begin = ctx.uniform(0.0, 0.05)
    end = begin + ctx.uniform(0.85, 0.9)

    def draw() -> dict:
        length = ctx.uniform(5.5, 6.5)
        path = kin.Polyline(_line(ctx, length, scale))
        heading = kin.unit(path.points[1] - path.points[0])
        side = np.array([-heading[2], 0.0, heading[0]]) * ctx.sign()
        join_time = ctx.uniform(0.5, 0.6)  # when the follower reaches the leader's path
        speed = length / (end - begin)
        joined = path.at([speed * (join_time - begin) - gap])[0]  # the spot one gap behind the leader then
        waiting = joined + side * ctx.uniform(1.8, 2.5) - heading * ctx.uniform(0.0, 1.0)
        leave_time = join_time - np.linalg.norm(waiting - joined) / speed
        leader = _walk(ctx, path, 0.0, path.length, begin, end)
        trailing = path.at(np.linalg.norm(leader - path.points[0], axis=1) - gap)
        approach = kin.keyframes(ctx.times, (max(leave_time, 0.0), join_time), (waiting, joined), easing=False)
        follower = np.where((ctx.times >= join_time)[:, None], trailing, approach)
        return {
            "leader": leader,
            "follower": follower,
            "waiting": waiting,
            "leave_time": leave_time,
            "join_time": join_time,
            "length": length,
        }

    def valid(p: dict) -> bool:
        clear = kin.min_gap([p["leader"], p["follower"]], [scale, scale]) > 0.1
        return p["leave_time"] >= 0.2 and clear and ctx.inside(p["waiting"][None], scale, 0.1)

    p = ctx.resample(draw, valid, "a waiting spot off the path, clear of the leader")
    shape, colors = ctx.shape(), ctx.colors(2)
    leader = ctx.track(p["leader"][0], scale=scale, role="leader", shape=shape, color=colors[0])
    follower = ctx.track(p["waiting"], scale=scale, role="follower", shape=shape, color=colors[1])
    leader.position[:], follower.position[:] = p["leader"], p["follower"]
    return ctx.timeline(
        [leader, follower],
        gap=gap,
        begin=begin,
        end=end,
        waiting=p["waiting"],
        leave_time=p["leave_time"],
        join_time=p["join_time"],
        length=p["length"],
    )
