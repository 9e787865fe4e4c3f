"""The distributed command takes the train command's arguments plus its own."""

from recbole_elcrec.commands.distributed import build_parser


def test_command_line_takes_run_arguments():
    args, extra = build_parser().parse_known_args(["--nproc", "2", "--backend", "gloo", "-d", "tiny", "--epochs=1"])
    assert (args.nproc, args.backend, args.dataset, extra) == (2, "gloo", "tiny", ["--epochs=1"])
