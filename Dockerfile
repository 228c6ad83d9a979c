FROM python:3.11-slim
# Noto CJK renders the Chinese on certificate faces and pages.
RUN apt-get update && apt-get install -y --no-install-recommends fonts-noto-cjk \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
COPY approvals ./approvals
COPY forms ./forms
COPY certs ./certs
COPY migrations ./migrations
COPY piccolo_conf.py ./
RUN pip install --no-cache-dir .
ENV APPROVALS_HOST=0.0.0.0 APPROVALS_PORT=8000 APPROVALS_DATA_DIR=/data
EXPOSE 8000
CMD ["approvals", "serve"]
