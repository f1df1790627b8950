"""What people touch, built on the `nn` library (which never imports these):

- `cli.py`: the `stepgrad` command (step, demo, train, serve); `arguments.py`
  its shared words (`CommandLineError`, `NAME=VALUE`); `runfolder.py` the
  output folder a run's files land in together;
- `plots.py`: the decision boundary, training curves and boundary GIFs
  (matplotlib Figures);
- `live.py`: `fit_live()` and the `LiveTraining` playground in Jupyter;
- `classroom/`: `stepgrad serve`, the live classroom in the browser.
"""
