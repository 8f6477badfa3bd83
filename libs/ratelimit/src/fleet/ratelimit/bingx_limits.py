"""BingX's published per-IP limits that more than one process reads (API.md section 7)."""

# Order placement (POST /openApi/swap/v2/trade/order) per IP address in 10 seconds.
BINGX_IP_ORDERS_PER_10S = 300
