"""`python -m ticket_service_tools <command>`: the ticket service's offline tools.

Seeding (`make seed`), the demo campus (`make run` and `make seed` load it into an empty
directory), evaluating (`make eval-classifier`) and retraining (`make retrain`) the category
model, and rebuilding the model or its data set. None of it ships in the image.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from ticket_service.classifier.storage import PACKAGED_MODEL
from ticket_service.settings import Settings
from ticket_service_tools.classifier.dataset import DATASET_PATH

DATABASE_URL_HELP = "defaults to DATABASE_URL or the local SQLite file"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ticket_service_tools", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    seed = commands.add_parser("seed", help="fill the database with realistic tickets")
    seed.add_argument("--tickets", type=int, required=True, help="how many tickets to create")
    seed.add_argument("--seed", type=int, default=42, help="random seed; the same seed gives the same data")
    seed.add_argument("--database-url", default=None, help=DATABASE_URL_HELP)
    campus = commands.add_parser("demo-campus", help="load the demo campus into an empty campus directory")
    campus.add_argument("--database-url", default=None, help=DATABASE_URL_HELP)
    evaluate = commands.add_parser("eval-classifier", help="accuracy, precision/recall and timing on the test split")
    evaluate.add_argument("--model", type=Path, default=PACKAGED_MODEL, help="a model .npz (default: the shipped one)")
    retrain = commands.add_parser("retrain", help="retrain from the shipped model plus the corrections in a database")
    retrain.add_argument("--database-url", default=None, help=DATABASE_URL_HELP)
    commands.add_parser("train-model", help=f"train the shipped model ({PACKAGED_MODEL.name}) from the data set")
    dataset = commands.add_parser("build-dataset", help="regenerate the classifier's labelled data set")
    dataset.add_argument("--total", type=int, default=1800)
    dataset.add_argument("--seed", type=int, default=2026)
    dataset.add_argument("--output", type=Path, default=DATASET_PATH)
    return parser


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    started = time.perf_counter()
    if args.command == "seed":
        from ticket_service_tools.seed import seed_database

        seed_database(args.database_url or Settings().database_url, tickets=args.tickets, seed=args.seed)
    elif args.command == "demo-campus":
        from ticket_service_tools.campus import DEMO_CAMPUS, load_demo_campus_if_empty

        if load_demo_campus_if_empty(args.database_url or Settings().database_url):
            print(f"loaded the demo campus ({DEMO_CAMPUS.name}) into the empty campus directory")
    elif args.command == "eval-classifier":
        from ticket_service_tools.classifier.evaluate import evaluate

        print(evaluate(args.model))
    elif args.command == "retrain":
        from ticket_service.classifier.retraining import retrain
        from ticket_service.classifier.storage import ModelStore

        store = ModelStore(args.database_url or Settings().database_url)
        try:
            model = retrain(store)
        finally:
            store.dispose()
        print(
            f"trained on {len(model.example_texts)} examples ({model.corrections} corrections) "
            f"-> version {model.version}"
        )
        print(f"took {time.perf_counter() - started:.1f} s")
    elif args.command == "train-model":
        from ticket_service_tools.classifier.training import build_packaged_model

        model = build_packaged_model()
        print(f"trained on {len(model.example_texts)} examples -> {PACKAGED_MODEL}")
        print(f"took {time.perf_counter() - started:.1f} s")
    elif args.command == "build-dataset":
        from ticket_service_tools.classifier.dataset import generate, summarise

        examples = generate(args.total, args.seed)
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text("".join(e.to_json() + "\n" for e in examples), encoding="utf-8")
        print(summarise(examples))
