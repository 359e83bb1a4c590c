from pages.step import render_step

render_step(3)
