"""Schema migrations with Alembic, driven from code (`tracker db upgrade`)."""

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(engine: Engine) -> Config:
    """An Alembic config that migrates through `engine`."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # configparser reads "%" as interpolation: escape it (passwords may hold one).
    url = engine.url.render_as_string(hide_password=False).replace("%", "%%")
    config.set_main_option("sqlalchemy.url", url)
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema up to `revision` (the newest by default)."""
    config = alembic_config(engine)
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        driver = connection.connection.driver_connection
        assert driver is not None
        if sqlite:
            # SQLite alters a table by copying it and dropping the original, which enforced
            # foreign keys would refuse while rows point at it. The pragma only takes effect
            # outside a transaction, hence on the driver's connection before BEGIN.
            driver.execute("PRAGMA foreign_keys=OFF")
        try:
            with connection.begin():
                config.attributes["connection"] = connection
                command.upgrade(config, revision)
                if sqlite and connection.exec_driver_sql("PRAGMA foreign_key_check").first():
                    raise RuntimeError("the migration left rows whose foreign keys do not match")
        finally:
            if sqlite:
                driver.execute("PRAGMA foreign_keys=ON")
