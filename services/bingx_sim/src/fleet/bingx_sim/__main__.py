from fleet.bingx_sim.main import run

run()
