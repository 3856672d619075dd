"""The yardstick of `bench_webhook.py ack`: a FastAPI endpoint that does nothing, served like the bot."""

from fastapi import FastAPI
from fastapi.responses import JSONResponse

app = FastAPI()


@app.post("/noop")
async def noop() -> JSONResponse:
    return JSONResponse({})
