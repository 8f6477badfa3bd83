"""Rate limits as token buckets, one implementation for every Fleet process."""

from fleet.ratelimit.bingx_limits import BINGX_IP_ORDERS_PER_10S
from fleet.ratelimit.bucket import TokenBucket

__all__ = ["BINGX_IP_ORDERS_PER_10S", "TokenBucket"]
