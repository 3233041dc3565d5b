"""What ``pip install 'ledgersync-qbd[sandbox]'`` adds: zeep, which only the simulated Web
Connector (`ledgersync sandbox qbd`, `ledgersync demo`) uses. The connector and `ledgersync
serve` need none of it."""

SANDBOX_EXTRA = "ledgersync-qbd[sandbox]"
SANDBOX_MODULES = ("zeep",)
