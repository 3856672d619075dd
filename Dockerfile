# CPU-only image of the bot. Build:  docker build -t laborbot .
# Run:    docker run -p 8000:8000 -e LINE_CHANNEL_SECRET=… -e LINE_CHANNEL_ACCESS_TOKEN=… \
#             -e DATABASE_URL=postgresql+psycopg://… -e PSEUDONYM_KEY=… -e SESSION_SECRET=… laborbot
# Optional pretrained multilingual encoder baked in at build time (needs network at build, never at run time):
#         docker build --build-arg EMBEDDING_MODEL=sentence-transformers/paraphrase-multilingual-MiniLM-L12-v2 .
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1

# fonts-noto-cjk: the rich menu image has Chinese labels. curl: the health check.
RUN apt-get update && apt-get install -y --no-install-recommends fonts-noto-cjk curl \
    && rm -rf /var/lib/apt/lists/*

RUN useradd --create-home --uid 10001 bot
WORKDIR /app

# CPU wheel of torch first, from PyTorch's CPU index, so no CUDA packages are pulled in.
RUN pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu
COPY pyproject.toml README.md ./
COPY app ./app
RUN pip install .

COPY alembic.ini ./
COPY migrations ./migrations
COPY knowledge ./knowledge
COPY intents ./intents

# The encoder setting goes to /app/.env, so an EMBEDDING_MODEL given at `docker run` still wins.
ARG EMBEDDING_MODEL=builtin
RUN mkdir -p /app/models /app/data && if [ "$EMBEDDING_MODEL" = "builtin" ]; then \
      echo "EMBEDDING_MODEL=builtin" > /app/.env; \
    else \
      HF_HUB_OFFLINE=0 python -c "import sys; from sentence_transformers import SentenceTransformer; SentenceTransformer(sys.argv[1]).save('/app/models/encoder')" "$EMBEDDING_MODEL" \
      && echo "EMBEDDING_MODEL=/app/models/encoder" > /app/.env; \
    fi \
    && chown -R bot:bot /app
USER bot

ENV DATA_DIR=/app/data INDEX_DIR=/app/data/index DATABASE_URL=sqlite:////app/data/laborbot.db ENVIRONMENT=production
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD curl -fsS http://127.0.0.1:8000/healthz || exit 1
# The web server and ANSWER_WORKERS answer workers (uvicorn believes X-Forwarded-* from FORWARDED_ALLOW_IPS).
CMD ["python", "-m", "app", "serve", "--host", "0.0.0.0", "--port", "8000"]
