"""Tell the user what to run next. Never touches the network: baking works offline."""

import json

# tojson output is wrapped in double quotes, so this must stay a ''' string.
PROJECT_SLUG = json.loads(r'''{{ cookiecutter.project_slug | tojson }}''')  # fmt: skip

NEXT_STEPS = f"""
Created {PROJECT_SLUG}/. Next:

    cd {PROJECT_SLUG}
    make dev     # install, train the example model, serve it on http://localhost:3000
    make test    # run the project's tests

Then (deploys fire on main, so name the branch main):
    git init -b main && git add -A && git commit -m "Start from cookiecutter-bentoml-eks"
and follow docs/infrastructure.md to reach AWS.
"""


def main() -> None:
    print(NEXT_STEPS)


if __name__ == "__main__":
    main()
