"""Reproducible speed and quality benchmarks of ganforge. Each suite runs from the repository root as

    python -m benchmarks.SUITE [options]

prints one table, and writes its JSON record with :func:`benchmarks.harness.save_record` (``--out FILE``, or a
new file under ``runs/benchmarks/``). The suites:

- :mod:`benchmarks.throughput`: the trainer's images/s against a tutorial-style loop, same models and batch.
- :mod:`benchmarks.time_to_quality`: training seconds to a domain FD threshold on MNIST, raced against that loop.
- :mod:`benchmarks.eval_speed`: Inception feature extraction speed per variant, and its FID agreement with fp32.
- :mod:`benchmarks.sample_latency`: time to a 64-image grid from a trained generator, cold and warm.
- :mod:`benchmarks.presets`: what every preset reaches in a fixed CPU budget.

Support modules: :mod:`benchmarks.harness` (``--device``, ``--out``, clocks) and :mod:`benchmarks.reference_loop`
(the tutorial loop). The published tables (modes2d, Stacked MNIST, FID) are reproduced by ``ganforge bench``.
"""
