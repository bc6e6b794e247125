"""The only code that runs SQL: one module per aggregate, plain SQL on asyncpg."""
