"""The ``nnviz`` command: ``gui`` (the default), ``train``, ``eval`` and ``lesson check``.

``train``, ``eval`` and ``lesson`` use only the NumPy core; Qt is imported inside the
``gui`` branch alone, so they run on machines without a display (a test holds
this).  Every bad input ends with exit status 2 and one line on stderr.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import sys
from dataclasses import replace
from typing import BinaryIO

import numpy as np

from nnviz import __version__
from nnviz.core import activations, datasets, features, losses, optimizers, weights_file
from nnviz.core.atomic import AtomicFile
from nnviz.core.errors import ConfigError, NnvizError, TrainingDiverged
from nnviz.core.network import INIT_METHODS, MAX_CLASSES, MAX_HIDDEN_LAYERS, OUTPUT_ACTIVATIONS, Network
from nnviz.core.setup import REGRESSION_LR, DataSpec, ModelSpec, check_fits, fit_model
from nnviz.core.trainer import MAX_LR, Trainer, TrainSettings, accuracy

EXIT_USAGE = 2
EXIT_DIVERGED = 1
MAX_EPOCHS = 100_000_000
TABLE_ROWS = 20  # rows of the results table printed for a large data set
PROGRESS_EVERY = 100
# Smaller learning rates change nothing a person could watch; tiny values such
# as 1e-320 are not even normal floating-point numbers.
MIN_LR = 1e-8
MAX_QUIT_AFTER = 24 * 3600  # seconds: a day


class UsageError(Exception):
    """Bad command-line input; the message is printed as ``nnviz: error: ...``."""


class _Parser(argparse.ArgumentParser):
    # argparse prints the whole usage block before the error; one line is kinder.
    def error(self, message: str) -> None:
        raise UsageError(message)


# -- argument types: each turns a string into a value or says what is wrong -------
def _layers(text: str) -> list[int]:
    if text.strip().lower() in ("", "none", "0"):
        return []
    parts = [p.strip() for p in text.split(",")]
    sizes = []
    for p in parts:
        if not (p.isascii() and p.isdigit()):
            raise argparse.ArgumentTypeError(f"{text!r}: hidden sizes are whole numbers separated by commas, "
                                             "like 4 or 8,8")
        sizes.append(int(p))
    if len(sizes) > MAX_HIDDEN_LAYERS:
        raise argparse.ArgumentTypeError(f"{text!r}: at most {MAX_HIDDEN_LAYERS} hidden layers")
    for n in sizes:
        if not 1 <= n <= 64:
            raise argparse.ArgumentTypeError(f"{text!r}: each hidden layer has 1 to 64 units")
    return sizes


def _float_between(minimum: float, maximum: float = math.inf, inclusive: bool = True):
    """An argparse type for finite numbers from ``minimum`` (above it unless ``inclusive``) to ``maximum``."""
    if maximum < math.inf:
        bound = (f"from {minimum:g} to {maximum:g}" if inclusive
                 else f"above {minimum:g} and at most {maximum:g}")
    else:
        bound = f"of at least {minimum:g}" if inclusive else f"above {minimum:g}"

    def parse(text: str) -> float:
        try:
            value = datasets.parse_number(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        above = value >= minimum if inclusive else value > minimum
        if not (math.isfinite(value) and above and value <= maximum):
            raise argparse.ArgumentTypeError(f"{text!r} must be a number {bound}")
        return value

    return parse


_nonnegative_float = _float_between(0)
_learning_rate = _float_between(MIN_LR, MAX_LR)
_seconds = _float_between(0, MAX_QUIT_AFTER, inclusive=False)


def _int_range(low: int, high: int):
    def parse(text: str) -> int:
        if not re.fullmatch(r"[+-]?[0-9]+", text.strip()):
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number")
        value = int(text)
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{text!r} must be between {low} and {high}")
        return value

    return parse


def _features(text: str) -> tuple[str, ...]:
    try:
        return features.parse(text)
    except ConfigError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _batch_size(text: str) -> int | None:
    if text.strip().lower() == "full":
        return None
    return _int_range(1, datasets.MAX_POINTS)(text)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="nnviz", description="Watch a small neural network learn.")
    parser.add_argument("--version", action="version", version=f"nnviz {__version__}")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)

    def add_dataset(p: argparse.ArgumentParser, default: str | None) -> None:
        p.add_argument("--dataset", default=default, metavar="NAME|FILE.csv",
                       help=f"one of {', '.join(datasets.NAMES)} ({' and '.join(datasets.REGRESSION)} are "
                            "regression), or a CSV file with a header x1,x2,label (classes) or x1,x2,target")
        p.add_argument("--samples", type=_int_range(4, datasets.MAX_POINTS), default=DataSpec.n,
                       help="points in a generated data set (default 200)")
        p.add_argument("--noise", type=_nonnegative_float, default=DataSpec.noise,
                       help="noise of a generated data set (default 0.1)")
        p.add_argument("--data-seed", type=_int_range(0, 2**32 - 1), default=DataSpec.seed,
                       help="seed of a generated data set (default 0)")
        p.add_argument("--classes", type=_int_range(2, MAX_CLASSES), default=DataSpec.classes,
                       help=f"classes of {' or '.join(datasets.MULTICLASS)}, 2 to {MAX_CLASSES} (default 2)")

    gui = sub.add_parser("gui", help="open the window (the default)")
    gui.add_argument("weights", nargs="?", help="a weights file to open")
    gui.add_argument("--dataset", metavar="NAME|FILE.csv", help="data set to start with")
    gui.add_argument("--autostart", action="store_true", help="start training at once")
    gui.add_argument("--quit-after", type=_seconds, metavar="SECONDS",
                     help="quit after this many seconds, at most a day (status 0)")
    gui.add_argument("--screenshot", metavar="PNG", help="with --quit-after: save a screenshot before quitting")

    train = sub.add_parser("train", help="train without a window (the tutorial by default)")
    add_dataset(train, None)
    train.add_argument("--layers", type=_layers, help="hidden layer sizes, e.g. 4 or 8,8 (default 4)")
    train.add_argument("--activation", choices=activations.NAMES, help="hidden activation (default sigmoid)")
    train.add_argument("--features", type=_features, metavar="F1,F2,...",
                       help=f"the network's inputs, from {','.join(features.NAMES)} (default x1,x2)")
    train.add_argument("--output-activation", choices=OUTPUT_ACTIVATIONS,
                       help="default sigmoid; softmax (with --loss ce) for more than two classes, "
                            "linear for regression (chosen by itself for such data)")
    train.add_argument("--loss", choices=losses.NAMES, help="default mse; ce goes with a softmax output")
    train.add_argument("--optimizer", choices=optimizers.NAMES, help="default sgd")
    train.add_argument("--lr", type=_learning_rate,
                       help=f"learning rate, {MIN_LR:g} to {MAX_LR:g} (default 1.0)")
    train.add_argument("--batch-size", type=_batch_size, help="full (default) or a number of points")
    train.add_argument("--l1", type=_nonnegative_float, help="L1 penalty on weights (default 0)")
    train.add_argument("--l2", type=_nonnegative_float, help="L2 penalty on weights (default 0)")
    train.add_argument("--epochs", type=_int_range(0, MAX_EPOCHS), default=1000, help="default 1000")
    train.add_argument("--seed", type=_int_range(0, 2**32 - 1), help="weight seed (default 42)")
    train.add_argument("--init", choices=INIT_METHODS, help="weight initialisation (default tutorial)")
    train.add_argument("--weights", metavar="FILE", help="continue from a saved weights file")
    train.add_argument("--save", metavar="FILE", help="save the trained weights (.npz)")
    train.add_argument("--log-csv", metavar="FILE", help="write epoch,loss for every epoch, as it trains")
    train.add_argument("--quiet", action="store_true", help="print only the final summary")

    ev = sub.add_parser("eval", help="print predictions, accuracy and confusion matrix (or MSE and R²) "
                                     "of a saved network")
    ev.add_argument("weights", help="a weights file")
    add_dataset(ev, None)

    lesson = sub.add_parser("lesson", help="work with lesson files")
    lesson_sub = lesson.add_subparsers(dest="lesson_command", required=True, metavar="check",
                                       parser_class=_Parser)
    check = lesson_sub.add_parser("check", help="check lesson files (TOML): exit 0, or 2 and what is wrong")
    check.add_argument("files", nargs="+", metavar="FILE")
    return parser


# -- shared pieces ----------------------------------------------------------------
def load_dataset(spec: str | None, samples: int = DataSpec.n, noise: float = DataSpec.noise,
                 seed: int = DataSpec.seed, classes: int = DataSpec.classes) -> datasets.Dataset:
    """A preset, through the same ``DataSpec`` the window uses, or a CSV file."""
    if spec is None or spec in datasets.NAMES:
        return DataSpec(spec or DataSpec.name, samples, noise, seed, classes=classes).build()
    if spec.lower().endswith(".csv") or os.path.exists(spec):
        if classes != DataSpec.classes:
            raise UsageError("--classes is for the generated data sets spiral and gaussians; "
                             "a CSV file's labels say how many classes it has")
        return datasets.read_csv(spec)
    raise UsageError(f"unknown data set {spec!r}; choose one of {', '.join(datasets.NAMES)} or a .csv file")


def loss_text(value: float) -> str:
    """A loss as the tutorial prints it (0.203644), or in scientific notation when that would mislead."""
    if value == 0 or 1e-4 <= abs(value) < 1e6 or not math.isfinite(value):
        return f"{value:.6f}"
    return f"{value:.6e}"


def _format_point(x: np.ndarray) -> str:
    if np.all(x == np.round(x)):
        return "[" + " ".join(str(int(v)) for v in x) + "]"
    return "[" + " ".join(f"{v:7.3f}" for v in x) + "]"


def results_table(net: Network, X: np.ndarray, y: np.ndarray, out, title: str = "Final Results:") -> float:
    """Print the tutorial's table (input -> target | prediction | rounded); returns the accuracy.

    With K softmax outputs the table shows each class's probability and the
    predicted class; for regression the prediction and its error, and the
    score returned is R².
    """
    pred = net.predict(X)
    if net.regression or net.outputs > 1:
        return _wide_results_table(net, pred, X, y, out, title)
    print(title, file=out)
    print("Input -> Target | Prediction | Rounded", file=out)
    print("-" * 40, file=out)
    for i in range(min(len(X), TABLE_ROWS)):
        p = float(pred[i, 0])
        print(f"{_format_point(X[i])} -> {int(y[i, 0])} | {p:.4f} | {int(np.round(p))}", file=out)
    if len(X) > TABLE_ROWS:
        print(f"... and {len(X) - TABLE_ROWS} more points", file=out)
    acc = accuracy(pred, y)
    print(f"\nAccuracy: {acc:.1%}", file=out)
    return acc


def _wide_results_table(net: Network, pred: np.ndarray, X: np.ndarray, y: np.ndarray, out, title: str) -> float:
    print(title, file=out)
    if net.regression:
        print("Input -> Target | Prediction | Error", file=out)
    else:
        print("Input -> Target | " + " ".join(f"P({k})" for k in range(net.outputs)) + " | Predicted", file=out)
    print("-" * 40, file=out)
    for i in range(min(len(X), TABLE_ROWS)):
        if net.regression:
            p, t = float(pred[i, 0]), float(y[i, 0])
            print(f"{_format_point(X[i])} -> {t:.4f} | {p:.4f} | {p - t:+.4f}", file=out)
        else:
            shown = " ".join(f"{float(v):.3f}" for v in pred[i])
            print(f"{_format_point(X[i])} -> {int(y[i, 0])} | {shown} | {int(np.argmax(pred[i]))}", file=out)
    if len(X) > TABLE_ROWS:
        print(f"... and {len(X) - TABLE_ROWS} more points", file=out)
    if net.regression:
        mse, r2 = net.evaluate(X, y)
        print(f"\nMSE: {loss_text(mse)}  R²: {r2:.4f}", file=out)
        return r2
    acc = accuracy(pred, y)
    print(f"\nAccuracy: {acc:.1%}", file=out)
    return acc


def confusion_text(matrix: np.ndarray) -> str:
    """A confusion matrix as lines of text: rows are the true classes, columns the predicted ones."""
    width = max(5, len(str(int(matrix.max(initial=0)))) + 2)
    lines = ["Confusion matrix (rows: true class, columns: predicted class):",
             " " * 6 + "".join(f"{k:>{width}}" for k in range(len(matrix)))]
    for k, row in enumerate(matrix):
        lines.append(f"{k:>6}" + "".join(f"{int(v):>{width}}" for v in row))
    return "\n".join(lines)


def _model_for(args, data: datasets.Dataset) -> tuple[ModelSpec, str]:
    """The network the options describe, suited to ``data``, and a line saying what was chosen for it.

    Options left out follow the data: softmax and ce for K classes, a linear
    output and mse for regression.  Options given are kept, and refused (one
    line) if they cannot learn the data.  ``softmax`` brings ``ce`` and ``ce``
    brings ``softmax``, since each goes only with the other.
    """
    output, loss = args.output_activation, args.loss
    if output == "softmax" and loss is None:
        loss = "ce"
    if loss == "ce" and output is None:
        output = "softmax"
    chosen = {"hidden": None if args.layers is None else tuple(args.layers), "activation": args.activation,
              "output_activation": output, "loss": loss, "init": args.init, "seed": args.seed,
              "features": args.features}
    model = replace(ModelSpec(), **{k: v for k, v in chosen.items() if v is not None})
    if output is None and loss is None:
        return fit_model(model, data)
    if output == "softmax":
        model = replace(model, classes=max(2, data.classes))
    if data.regression and model.output_activation == "linear" and model.loss == "mse":
        model = replace(model, task="regression")
    model.check()
    check_fits(model, data)
    return model, ""


# -- commands ---------------------------------------------------------------------
def cmd_train(args, out) -> int:
    settings = TrainSettings()
    start_epoch = 0
    data = None
    note = ""
    if args.weights:
        loaded = weights_file.load(args.weights)
        net, start_epoch = loaded.network, loaded.epoch
        _refuse_other_architecture(args, net)
        if loaded.settings is not None:
            settings = loaded.settings
        data = loaded.data
        if args.dataset is not None or data is None:
            data = load_dataset(args.dataset, args.samples, args.noise, args.data_seed, args.classes)
            check_fits(ModelSpec.of(net), data)
    else:
        data = load_dataset(args.dataset, args.samples, args.noise, args.data_seed, args.classes)
        # The tutorial's network is ModelSpec's defaults, as in the window; options replace fields.
        model, note = _model_for(args, data)
        net = model.build()
    if note and not args.quiet:
        print(f"{note}\n", file=out)
    chosen = {name: getattr(args, name) for name in ("lr", "optimizer", "batch_size", "l1", "l2", "seed")}
    if data.regression and not args.weights and args.lr is None:
        chosen["lr"] = REGRESSION_LR  # as in the window: the tutorial's 1.0 overshoots on real targets
    settings = replace(settings, **{k: v for k, v in chosen.items() if v is not None}).check()
    outputs = _open_outputs(args.save, args.log_csv)
    try:
        return _train(args, out, net, data, settings, start_epoch, *outputs)
    except BaseException:
        for f in outputs:
            if f is not None:
                f.discard()
        raise


def _refuse_other_architecture(args, net: Network) -> None:
    """With --weights the network is the file's: an option may repeat it, not change it."""
    if args.init is not None:
        raise UsageError("--init cannot be combined with --weights: the weights come from the file")
    file_values = {"--layers": net.layers[1:-1], "--activation": net.activation,
                   "--output-activation": net.output_activation, "--loss": net.loss, "--features": net.features}
    given = {"--layers": args.layers, "--activation": args.activation,
             "--output-activation": args.output_activation, "--loss": args.loss, "--features": args.features}
    for flag, value in given.items():
        if value is not None and value != file_values[flag]:
            shown = file_values[flag]
            shown = ",".join(map(str, shown)) if isinstance(shown, (list, tuple)) else shown
            raise UsageError(f"{flag} cannot be combined with --weights: the architecture comes from the file "
                             f"(its {flag.removeprefix('--')} is {shown or 'none'})")


def _open_outputs(save: str | None, log_csv: str | None) -> tuple[AtomicFile | None, AtomicFile | None]:
    """Check and begin both output files before training, so a bad path costs no training time."""
    if save and log_csv and os.path.realpath(save) == os.path.realpath(log_csv):
        raise UsageError("--save and --log-csv name the same file")
    save_file = AtomicFile(save) if save else None
    try:
        log_file = AtomicFile(log_csv) if log_csv else None
    except NnvizError:
        if save_file is not None:
            save_file.discard()
        raise
    return save_file, log_file


def _train(args, out, net: Network, data: datasets.Dataset, settings: TrainSettings, start_epoch: int,
           save_file: AtomicFile | None, log_file: AtomicFile | None) -> int:
    trainer = Trainer(net, data, settings)
    trainer.epoch = start_epoch
    if log_file is not None:
        log_file.file.write(b"epoch,loss,test_loss\n" if data.has_test else b"epoch,loss\n")
    diverged = None
    remaining = args.epochs
    while remaining > 0:
        # Chunks end on the tutorial's progress epochs (0, 100, 200, ...).
        chunk = min(remaining, PROGRESS_EVERY - trainer.epoch % PROGRESS_EVERY)
        first = trainer.epoch
        try:
            trainer.run(chunk)
        except TrainingDiverged as exc:
            diverged = exc
        chunk_losses, chunk_test = trainer.last_run
        if log_file is not None:
            _log_rows(log_file.file, first, chunk_losses, chunk_test)
        if not args.quiet and first % PROGRESS_EVERY == 0 and len(chunk_losses):
            print(f"Epoch {first:4d}: Loss = {loss_text(chunk_losses[0])}", file=out)
        if diverged:
            break
        remaining -= chunk

    if log_file is not None:
        log_file.commit()
    if diverged:
        if save_file is not None:
            save_file.discard()
        print(f"nnviz: error: {diverged}", file=sys.stderr)
        return EXIT_DIVERGED
    # As in the tutorial, the final loss is the loss of the last epoch (measured
    # before its update); the table shows the weights after that update.
    trained_loss = net.loss_value(data.X, data.y)
    final_loss = trainer.history.last_loss if not trainer.history.empty else trained_loss
    if args.quiet:
        score = trainer.accuracy()
        shown = f"R² {score:.4f}" if net.regression else f"accuracy {score:.1%}"
        print(f"epoch {trainer.epoch}: final loss {loss_text(final_loss)}, {shown}", file=out)
    else:
        print(f"\nFinal loss: {loss_text(final_loss)} (the last epoch's loss, measured before its update, "
              "as the article prints it)", file=out)
        print(f"Loss of the trained weights: {loss_text(trained_loss)} (after that update; "
              "nnviz eval shows this one)\n", file=out)
        results_table(net, data.X, data.y, out)
        if data.has_test:
            score = trainer.accuracy(test=True)
            shown = f"R²: {score:.4f}" if net.regression else f"accuracy: {score:.1%}"
            print(f"Test {shown} on {len(data.X_test)} held-out points", file=out)
    if save_file is not None:
        weights_file.write(save_file.file, net, trainer.epoch, data, settings)
        save_file.commit()
        if not args.quiet:
            print(f"Saved weights to {args.save}", file=out)
    return 0


def _log_rows(f: BinaryIO, first_epoch: int, losses: np.ndarray, test: np.ndarray | None) -> None:
    epochs = range(first_epoch, first_epoch + len(losses))
    if test is None:
        rows = (f"{e},{loss!r}\n" for e, loss in zip(epochs, losses.tolist()))
    else:
        rows = (f"{e},{loss!r},{t!r}\n" for e, loss, t in zip(epochs, losses.tolist(), test.tolist()))
    f.write("".join(rows).encode())


def cmd_eval(args, out) -> int:
    loaded = weights_file.load(args.weights)
    if args.dataset is not None or loaded.data is None:
        data = load_dataset(args.dataset, args.samples, args.noise, args.data_seed, args.classes)
    else:
        data = loaded.data
    net = loaded.network
    check_fits(ModelSpec.of(net), data)
    extra = "" if features.is_default(net.features) else f", features {','.join(net.features)}"
    extra += ", regression" if net.regression else ""
    print(f"{args.weights}: layers {'-'.join(map(str, net.layers))}, {net.activation}, "
          f"{net.loss}, epoch {loaded.epoch}{extra}", file=out)
    print(f"Loss: {loss_text(net.loss_value(data.X, data.y))} (of these saved weights, after {loaded.epoch} "
          "epochs; nnviz train's \"Final loss\" is measured one update earlier)\n", file=out)
    results_table(net, data.X, data.y, out, title="Results:")
    if not net.regression:
        print("\n" + confusion_text(net.confusion(data.X, data.y)), file=out)
    return 0


def cmd_lesson_check(args, out) -> int:
    """Check every file; one line each on stderr for the bad ones (exit 2), 'ok' on stdout for the rest."""
    from nnviz.core import lessons

    status = 0
    for path in args.files:
        try:
            lesson = lessons.load(path)
        except NnvizError as exc:
            print(f"nnviz: error: {exc}", file=sys.stderr)
            status = EXIT_USAGE
            continue
        n = len(lesson.checks)
        print(f"{path}: ok ({lesson.title}; {n} check{'s' if n != 1 else ''})", file=out)
    return status


def cmd_gui(args) -> int:
    if args.screenshot and args.quit_after is None:
        raise UsageError("--screenshot needs --quit-after SECONDS")
    from nnviz.gui import platform_check  # no Qt: it says what is missing where Qt would abort

    problem = platform_check.check()
    if problem is not None:
        print(problem, file=sys.stderr)
        return 1
    from nnviz.gui.app import run  # Qt is loaded here and nowhere else in the CLI

    return run(weights=args.weights, dataset=args.dataset, autostart=args.autostart,
               quit_after=args.quit_after, screenshot=args.screenshot)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or argv[0].startswith("-") and argv[0] not in ("-h", "--help", "--version"):
        argv = ["gui", *argv]
    try:
        args = build_parser().parse_args(argv)
        if args.command == "train":
            return cmd_train(args, sys.stdout)
        if args.command == "eval":
            return cmd_eval(args, sys.stdout)
        if args.command == "lesson":
            return cmd_lesson_check(args, sys.stdout)
        return cmd_gui(args)
    except (UsageError, NnvizError) as exc:
        print(f"nnviz: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("nnviz: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`nnviz train | head`): stop quietly, as other command-line tools do.
        # Python would complain again when it flushes stdout at exit, so point stdout at nothing.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
