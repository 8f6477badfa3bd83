from fleet.vault.main import run

run()
