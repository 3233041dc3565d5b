"""What ``pip install 'ledgersync-qbo[sandbox]'`` adds: starlette and uvicorn, which only the
local QuickBooks Online sandbox (`ledgersync sandbox qbo`, `ledgersync demo`) uses. The
connector needs none of it."""

SANDBOX_EXTRA = "ledgersync-qbo[sandbox]"
SANDBOX_MODULES = ("starlette", "uvicorn")
