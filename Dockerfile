# Production image: gunicorn serving the portal; the same image runs the Celery worker and beat.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
RUN apt-get update && apt-get install -y --no-install-recommends gettext curl && rm -rf /var/lib/apt/lists/*
RUN useradd --create-home --uid 10001 liaison
WORKDIR /app
COPY pyproject.toml README.md ./
COPY . .
RUN pip install . && DEBUG=1 python manage.py collectstatic --noinput && DEBUG=1 python manage.py compilemessages -l zh_Hans
RUN mkdir -p /app/media && chown -R liaison /app/media
USER liaison
EXPOSE 8000
CMD ["gunicorn", "liaison.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "4", "--access-logfile", "-", \
     "--access-logformat", "%(h)s %(l)s %(u)s %(t)s \"%(r)s\" %(s)s %(b)s \"%(f)s\" \"%(a)s\" %({x-request-id}o)s"]
