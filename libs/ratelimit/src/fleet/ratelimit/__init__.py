"""Rate limits as token buckets, one implementation for every Fleet process."""

from fleet.ratelimit.bucket import TokenBucket

__all__ = ["TokenBucket"]
